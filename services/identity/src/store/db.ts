import { openStore, type Store, type StoreLocation } from '@bazaar/store';
import { migrations } from '../../migrations/index.ts';

/** Identity's tables as Kysely sees them (see migrations/0001_init.ts). */
export interface IdentityDatabase {
  users: { id: string; email: string; name: string; password_hash: string; created_at: string; updated_at: string };
  user_roles: { user_id: string; role: string };
  refresh_tokens: {
    id: string;
    token_hash: string;
    user_id: string;
    family_id: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
    replaced_by: string | null;
    revoked_at: string | null;
  };
  signing_keys: { kid: string; algorithm: string; public_jwk: string; private_jwk: string; created_at: string; retired_at: string | null };
}

export type IdentityStore = Store<IdentityDatabase>;

/** Open (and migrate) identity's database: PostgreSQL when configured, else `<dataDir>/identity.sqlite` (or in memory for tests). */
export function openIdentityStore(where: StoreLocation): Promise<IdentityStore> {
  return openStore<IdentityDatabase>({ service: 'identity', migrations, ...where });
}
