import type { Kysely } from 'kysely';
import type { NewRefreshToken, RefreshTokenRecord, RefreshTokenRepository } from '../domain/model.ts';
import type { IdentityDatabase } from './db.ts';

type Row = IdentityDatabase['refresh_tokens'];

function toRow(token: NewRefreshToken): Row {
  return {
    id: token.id,
    token_hash: token.tokenHash,
    user_id: token.userId,
    family_id: token.familyId,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    used_at: null,
    replaced_by: null,
    revoked_at: null,
  };
}

function fromRow(row: Row): RefreshTokenRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    familyId: row.family_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

/** Refresh tokens, by hash; rotation is a conditional update so two presenters cannot both win. */
export function refreshTokenRepository(db: Kysely<IdentityDatabase>): RefreshTokenRepository {
  return {
    async findByHash(tokenHash) {
      const row = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && fromRow(row);
    },
    async insert(token) {
      await db.insertInto('refresh_tokens').values(toRow(token)).execute();
    },
    async rotate({ fromId, next, at }) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('refresh_tokens')
          .set({ used_at: at, replaced_by: next.id })
          .where('id', '=', fromId)
          .where('used_at', 'is', null)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (result.numUpdatedRows !== 1n) return 'stale' as const;
        await trx.insertInto('refresh_tokens').values(toRow(next)).execute();
        return 'rotated' as const;
      });
    },
    async revokeFamily(familyId, at) {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: at })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async familyStartedAt(familyId) {
      const row = await db.selectFrom('refresh_tokens').select((eb) => eb.fn.min('created_at').as('started')).where('family_id', '=', familyId).executeTakeFirst();
      return (row?.started as string | null | undefined) ?? undefined;
    },
    async revokedSince(since) {
      // The rows revoked since, read from their own index (migration 0003) and made distinct here: with DISTINCT in
      // the SQL, SQLite preferred walking the family index, every token ever, to skip the sort of a few rows.
      const rows = await db.selectFrom('refresh_tokens').select('family_id').where('revoked_at', '>=', since).execute();
      return [...new Set(rows.map((r) => r.family_id))];
    },
  };
}
