import type { Migration } from '@bazaar/store';
import { inboxMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';
import * as revisions from './0003_cart_revisions.ts';
import * as lineRevisions from './0004_line_revisions.ts';

/** The cart's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // Inbox and feed cursors: orders' events take effect exactly once, in the same transaction as the cart change.
  '0002_inbox': inboxMigration,
  // A revision per cart: the cart's version, and compare-and-set writes.
  '0003_cart_revisions': revisions,
  // The revision each line was last set at: a late order confirmation leaves lines set after checkout alone.
  '0004_line_revisions': lineRevisions,
};
