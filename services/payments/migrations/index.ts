import type { Migration } from '@bazaar/store';
import { outboxMigration, outboxRelayMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';
import * as pendingIntents from './0004_pending_intents.ts';

/** Payments' migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // The transactional outbox: payment events commit with the status change.
  '0002_outbox': outboxMigration,
  // What the NATS relay has published (used only with NATS_URL; the embedded feed reads the outbox as before).
  '0003_outbox_relay': outboxRelayMigration,
  // The reconciliation sweep reads the PENDING intents through an index of their own, not every payment ever.
  '0004_pending_intents': pendingIntents,
};
