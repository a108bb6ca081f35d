import type { Migration } from '@bazaar/store';
import { inboxMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';

/** The cart's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // Inbox and feed cursors: orders' events take effect exactly once, in the same transaction as the cart change.
  '0002_inbox': inboxMigration,
};
