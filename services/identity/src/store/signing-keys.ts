import type { Kysely } from 'kysely';
import type { SigningKeyRepository } from '../domain/model.ts';
import type { IdentityDatabase } from './db.ts';

/**
 * JWT signing keys. The private JWK is stored as-is in the service's own
 * database (its file is the secret); a KMS or mounted secret is the
 * production upgrade.
 */
export function signingKeyRepository(db: Kysely<IdentityDatabase>): SigningKeyRepository {
  return {
    async listActive() {
      const rows = await db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at').orderBy('kid').execute();
      return rows.map((row) => ({
        kid: row.kid,
        algorithm: row.algorithm,
        publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>,
        privateJwk: JSON.parse(row.private_jwk) as Record<string, unknown>,
        createdAt: row.created_at,
      }));
    },
    async insert(key) {
      await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          algorithm: key.algorithm,
          public_jwk: JSON.stringify(key.publicJwk),
          private_jwk: JSON.stringify(key.privateJwk),
          created_at: key.createdAt,
          retired_at: null,
        })
        .execute();
    },
  };
}
