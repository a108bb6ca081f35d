import type { Migration } from '@bazaar/store';
import { init } from './0001_init.ts';

/** The storefront's migrations by name, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
};
