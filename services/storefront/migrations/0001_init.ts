import type { Kysely } from 'kysely';
import { dialectOf, sql, type Migration } from '@bazaar/store';

/**
 * Sessions (the shopper's tokens stay on the server; the browser only holds
 * a random id, stored here as its SHA-256) and product images uploaded by
 * admins (the bytes live on disk, or in `image_blobs` on PostgreSQL).
 */
export const init: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('roles', 'text', (c) => c.notNull())
      .addColumn('access_token', 'text', (c) => c.notNull())
      .addColumn('refresh_token', 'text', (c) => c.notNull())
      .addColumn('access_expires_at', 'bigint', (c) => c.notNull())
      .addColumn('seen_prices', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();

    await db.schema
      .createTable('product_images')
      .addColumn('product_id', 'text', (c) => c.primaryKey())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('bytes', 'integer', (c) => c.notNull())
      .addColumn('uploaded_by', 'text', (c) => c.notNull())
      .addColumn('uploaded_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('image_blobs')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('data', dialectOf(db) === 'postgres' ? sql`bytea` : 'blob', (c) => c.notNull())
      .execute();
  },
};
