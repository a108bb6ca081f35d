import type { Migration } from '@bazaar/store';
import * as init from './0001_init.ts';

/** The catalog's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
};
