import type { Migration } from '@bazaar/store';
import { inboxMigration, outboxMigration, outboxRelayMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';
import * as stockAdjustments from './0005_stock_adjustments.ts';

/** Inventory's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // The transactional outbox: stock-changed events commit with the stock change.
  '0002_outbox': outboxMigration,
  // The inbox and feed cursors: catalog events are applied exactly once.
  '0003_inbox': inboxMigration,
  // What the NATS relay has published (used only with NATS_URL; the embedded feed reads the outbox as before).
  '0004_outbox_relay': outboxRelayMigration,
  // Who changed a product's stock, by how much and why.
  '0005_stock_adjustments': stockAdjustments,
};
