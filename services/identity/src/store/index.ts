import type { Kysely } from 'kysely';
import type { IdentityDatabase } from './db.ts';
import { refreshTokenRepository } from './refresh-tokens.ts';
import { signingKeyRepository } from './signing-keys.ts';
import { userRepository } from './users.ts';

export { openIdentityStore, type IdentityDatabase, type IdentityStore } from './db.ts';

/** Every repository over one database handle. */
export function repositories(db: Kysely<IdentityDatabase>) {
  return {
    users: userRepository(db),
    refreshTokens: refreshTokenRepository(db),
    signingKeys: signingKeyRepository(db),
  };
}
