import { dialectOf, openStore, sql, type Store, type StoreLocation } from '@bazaar/store';
import type { Generated, Kysely, Transaction } from 'kysely';
import type { InboxTables } from '@bazaar/messaging';
import { migrations } from '../../migrations/index.ts';
import type { CartLimits, CartLine, CartStore } from '../domain/model.ts';

/** The cart's tables as Kysely sees them (see migrations/). */
export interface CartTables extends InboxTables {
  cart_lines: {
    user_id: string;
    product_id: string;
    quantity: number;
    position: number;
    added_at: string;
    updated_at: string;
    /** The cart revision this line was last set at (0: before lines kept it). */
    set_revision: Generated<number>;
  };
  cart_revisions: { user_id: string; revision: number };
}

export type CartDatabase = Store<CartTables>;

/** Open (and migrate) the cart's own database: PostgreSQL when configured, else `<dataDir>/cart.sqlite` (or in memory for tests). */
export function openCartDatabase(where: StoreLocation): Promise<CartDatabase> {
  return openStore<CartTables>({ service: 'cart', migrations, ...where });
}

type Db = Kysely<CartTables>;

/**
 * Run `fn` in a transaction on one user's cart, joining the caller's when `db`
 * already is one (event handlers run inside the inbox's). SQLite runs one
 * write transaction at a time; PostgreSQL runs them side by side, so there
 * a transaction-level advisory lock per user serialises changes to one cart
 * (count-then-insert and read-then-write stay atomic; other carts do not wait).
 */
async function atomically<T>(db: Db, userId: string, fn: (trx: Db) => Promise<T>): Promise<T> {
  const locked = async (trx: Db): Promise<T> => {
    if (dialectOf(trx) === 'postgres') await sql`select pg_advisory_xact_lock(hashtextextended(${`cart:${userId}`}, 0))`.execute(trx);
    return fn(trx);
  };
  if (db.isTransaction) return locked(db);
  return db.transaction().execute((trx: Transaction<CartTables>) => locked(trx));
}

/**
 * The relational implementation of CartStore, on SQLite or PostgreSQL (the
 * name predates PostgreSQL). Pass a transaction as `db` to have the writes
 * commit with something else (the inbox row of an event).
 */
export function sqliteCartStore(db: Db, limits: CartLimits): CartStore {
  /** Delete a line, bumping the revision when there was one; true when a line went. */
  async function deleteLine(trx: Db, userId: string, productId: string): Promise<boolean> {
    const result = await trx.deleteFrom('cart_lines').where('user_id', '=', userId).where('product_id', '=', productId).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) return false;
    await bump(trx, userId);
    return true;
  }

  async function remove(userId: string, productId: string): Promise<void> {
    await atomically(db, userId, (trx) => deleteLine(trx, userId, productId));
  }

  async function readLines(trx: Db, userId: string): Promise<CartLine[]> {
    const rows = await trx
      .selectFrom('cart_lines')
      .select(['product_id', 'quantity'])
      .where('user_id', '=', userId)
      .orderBy('position')
      .execute();
    return rows.map((r) => ({ productId: r.product_id, quantity: Number(r.quantity) }));
  }

  return {
    getLines: (userId) => readLines(db, userId),

    async snapshot(userId) {
      return atomically(db, userId, async (trx) => ({ lines: await readLines(trx, userId), revision: await revisionOf(trx, userId) }));
    },

    async setQuantity(userId, productId, quantity, expectedRevision) {
      const now = new Date().toISOString();
      return atomically(db, userId, async (trx) => {
        const current = await revisionOf(trx, userId);
        if (expectedRevision !== undefined && current !== expectedRevision) return 'conflict' as const;
        // The revision this change makes (bump, below): the line remembers it, so a late order confirmation can tell it was set after checkout.
        const setRevision = current + 1;
        if (quantity === 0) {
          // A conditional removal of a line that is not there still moves the revision, as promised to the caller.
          if (!(await deleteLine(trx, userId, productId)) && expectedRevision !== undefined) await bump(trx, userId);
          return 'removed' as const;
        }
        const updated = await trx
          .updateTable('cart_lines')
          .set({ quantity, updated_at: now, set_revision: setRevision })
          .where('user_id', '=', userId)
          .where('product_id', '=', productId)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) > 0) {
          await bump(trx, userId);
          return 'set' as const;
        }
        const { lines, last } = await trx
          .selectFrom('cart_lines')
          .select((eb) => [eb.fn.countAll<number>().as('lines'), eb.fn.max<number | null>('position').as('last')])
          .where('user_id', '=', userId)
          .executeTakeFirstOrThrow();
        if (Number(lines) >= limits.maxLines) return 'cart-full' as const;
        await trx
          .insertInto('cart_lines')
          .values({ user_id: userId, product_id: productId, quantity, position: Number(last ?? 0) + 1, added_at: now, updated_at: now, set_revision: setRevision })
          .execute();
        await bump(trx, userId);
        return 'set' as const;
      });
    },

    remove,

    async removeOrdered(userId, ordered, placedAt) {
      const byProduct = totals(ordered);
      if (byProduct.size === 0) return;
      const now = new Date().toISOString();
      await atomically(db, userId, async (trx) => {
        const found = await trx
          .selectFrom('cart_lines')
          .select(['product_id', 'quantity', 'set_revision'])
          .where('user_id', '=', userId)
          .where('product_id', 'in', [...byProduct.keys()])
          .execute();
        // A line set after the order's cart revision is the shopper's later decision: it stays (issue 12).
        const rows = found.filter((r) => placedAt === undefined || Number(r.set_revision) <= placedAt);
        if (rows.length === 0) return;
        const setRevision = (await revisionOf(trx, userId)) + 1;
        await bump(trx, userId);
        for (const row of rows) {
          const left = Number(row.quantity) - (byProduct.get(row.product_id) ?? 0);
          if (left > 0) {
            await trx
              .updateTable('cart_lines')
              .set({ quantity: left, updated_at: now, set_revision: setRevision })
              .where('user_id', '=', userId)
              .where('product_id', '=', row.product_id)
              .execute();
          } else {
            await trx.deleteFrom('cart_lines').where('user_id', '=', userId).where('product_id', '=', row.product_id).execute();
          }
        }
      });
    },
  };
}

/** The cart's revision (0 when it never changed). */
async function revisionOf(trx: Db, userId: string): Promise<number> {
  const row = await trx.selectFrom('cart_revisions').select('revision').where('user_id', '=', userId).executeTakeFirst();
  return row ? Number(row.revision) : 0;
}

/** Count one change of the cart (inside its transaction). */
async function bump(trx: Db, userId: string): Promise<void> {
  await trx
    .insertInto('cart_revisions')
    .values({ user_id: userId, revision: 1 })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ revision: sql<number>`cart_revisions.revision + 1` }))
    .execute();
}

/** Quantities summed per product (an order could list a product twice). */
function totals(lines: CartLine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) out.set(l.productId, (out.get(l.productId) ?? 0) + l.quantity);
  return out;
}
