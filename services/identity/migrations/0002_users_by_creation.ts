import type { Kysely } from 'kysely';
import type { Migration } from '@bazaar/store';

/** The back office pages accounts newest first by (created_at, id): an index keeps every page one range scan. */
export const usersByCreation: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('users_created_id_idx').on('users').columns(['created_at', 'id']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('users_created_id_idx').ifExists().execute();
  },
};
