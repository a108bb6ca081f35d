import type { Migration } from '@bazaar/store';
import { init } from './0001_init.ts';
import { usersByCreation } from './0002_users_by_creation.ts';
import { revokedFamilies } from './0003_revoked_families.ts';

/** Identity's migrations by name, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  '0002_users_by_creation': usersByCreation,
  '0003_revoked_families': revokedFamilies,
};
