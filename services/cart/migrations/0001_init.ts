import { sql, type Kysely } from 'kysely';

/**
 * One row per cart line. A cart is just its lines: a user without lines has an
 * empty cart, so there is no separate carts table to keep in step. Prices are
 * not stored: the cart is priced from the catalog at read time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cart_lines')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    // A line at zero is no line: removal deletes the row.
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity > 0`))
    // Order of first addition, per user: a line keeps its place when its quantity changes.
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('cart_lines_pk', ['user_id', 'product_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('cart_lines').execute();
}
