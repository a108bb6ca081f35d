import type { Migration } from '@bazaar/store';
import { outboxMigration, outboxRelayMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';
import * as productArchive from './0004_product_archive.ts';

/** The catalog's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // The transactional outbox: product events commit with the product change.
  '0002_outbox': outboxMigration,
  // What the NATS relay has published (used only with NATS_URL; the embedded feed reads the outbox as before).
  '0003_outbox_relay': outboxRelayMigration,
  // Archived products stay readable by id (past orders) but leave listings and search.
  '0004_product_archive': productArchive,
};
