import type { Migration } from '@bazaar/store';
import { inboxMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';

/** The notifications service's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // The inbox and feed cursors: an event's email row commits with its inbox entry.
  '0002_inbox': inboxMigration,
};
