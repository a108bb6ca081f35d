import { sql, type Kysely } from 'kysely';
import type { Migration } from '@bazaar/store';

/**
 * The gateway asks for the token families revoked lately every
 * REVOCATION_POLL_MS (`revoked_at >= ?`), and every sign-in and every refresh
 * leaves a row in refresh_tokens for good. Without an index the question
 * read the whole table each time, growing with every session ever. Only
 * revoked rows are in this one (a condition `revoked_at >= ?` implies), with
 * the family beside the time, so the answer comes from the index alone.
 */
export const revokedFamilies: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('refresh_tokens_revoked_idx').on('refresh_tokens').columns(['revoked_at', 'family_id']).where(sql.ref('revoked_at'), 'is not', null).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('refresh_tokens_revoked_idx').ifExists().execute();
  },
};
