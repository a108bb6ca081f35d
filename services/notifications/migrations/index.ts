import type { Migration } from '@bazaar/store';
import { inboxMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';
import * as emailTrace from './0003_email_trace.ts';

/** The notifications service's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // The inbox and feed cursors: an event's email row commits with its inbox entry.
  '0002_inbox': inboxMigration,
  // Each email's trace context, so its SMTP send joins the checkout's trace.
  '0003_email_trace': emailTrace,
};
