import type { Migration } from '@bazaar/store';
import { outboxMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';

/** The orders service's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // The transactional outbox: order events commit with the status change.
  '0002_outbox': outboxMigration,
};
