import { openStore, prepare, prepareCommand, type Store, type StoreLocation } from '@bazaar/store';
import { currentTraceparent } from '@bazaar/kit';
import type { Kysely } from 'kysely';
import type { InboxTables } from '@bazaar/messaging';
import { migrations } from '../../migrations/index.ts';
import type { EmailDraft, EmailKind } from '../domain/emails.ts';

export type EmailStatus = 'pending' | 'sent';

export interface NotificationTables extends InboxTables {
  emails: {
    id: string;
    kind: EmailKind;
    order_id: string;
    recipient: string;
    subject: string;
    text_body: string;
    html_body: string;
    message_id: string;
    status: EmailStatus;
    attempts: number;
    next_attempt_at: string;
    last_error: string | null;
    smtp_response: string | null;
    created_at: string;
    sent_at: string | null;
    /** Trace context of the event handling that queued it (null before 0003). */
    traceparent: string | null;
  };
}

export type NotificationsStore = Store<NotificationTables>;

/** An email as the rest of the service sees it. */
export interface EmailRecord extends EmailDraft {
  status: EmailStatus;
  attempts: number;
  /** When a pending email is next tried. */
  nextAttemptAt: string;
  lastError: string | null;
  smtpResponse: string | null;
  createdAt: string;
  sentAt: string | null;
  /** The W3C traceparent of the handling that queued it, if traced. */
  traceparent: string | null;
}

/** Open (and migrate) the service's own database. */
export function openNotificationsStore(where: StoreLocation): Promise<NotificationsStore> {
  return openStore<NotificationTables>({ service: 'notifications', migrations, ...where });
}

type Row = NotificationTables['emails'];

function toRecord(r: Row): EmailRecord {
  return {
    id: r.id,
    kind: r.kind,
    orderId: r.order_id,
    to: r.recipient,
    subject: r.subject,
    text: r.text_body,
    html: r.html_body,
    messageId: r.message_id,
    status: r.status,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    smtpResponse: r.smtp_response,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    traceparent: r.traceparent,
  };
}

/**
 * The emails table, on the store's database (`db`, not a transaction: its
 * hot statements are prepared on it once). Pass the transaction to `insert`
 * so the email is queued in the same commit as the inbox entry of the event
 * that caused it.
 */
export function emailRepository(db: Kysely<NotificationTables>) {
  // What every order event and every send runs, compiled once (prepare): Kysely would build and compile each on every call.
  const queue = prepareCommand(db, ['id', 'kind', 'orderId', 'to', 'subject', 'text', 'html', 'messageId', 'now', 'traceparent'], (d, p) =>
    d
      .insertInto('emails')
      .values({
        id: p.id,
        kind: p.kind,
        order_id: p.orderId,
        recipient: p.to,
        subject: p.subject,
        text_body: p.text,
        html_body: p.html,
        message_id: p.messageId,
        status: 'pending',
        attempts: 0,
        next_attempt_at: p.now,
        last_error: null,
        smtp_response: null,
        created_at: p.now,
        sent_at: null,
        traceparent: p.traceparent,
      })
      .onConflict((oc) => oc.column('id').doNothing()),
  );
  const due = prepare(db, ['now', 'limit'], (d, p) =>
    d.selectFrom('emails').selectAll().where('status', '=', 'pending').where('next_attempt_at', '<=', p.now).orderBy('next_attempt_at').orderBy('id').limit(p.limit),
  );
  const claim = prepareCommand(db, ['id', 'now', 'leaseUntil'], (d, p) =>
    d.updateTable('emails').set({ next_attempt_at: p.leaseUntil }).where('id', '=', p.id).where('status', '=', 'pending').where('next_attempt_at', '<=', p.now),
  );
  const markSent = prepareCommand(db, ['id', 'sentAt', 'response'], (d, p) =>
    d
      .updateTable('emails')
      .set((eb) => ({ status: 'sent', sent_at: p.sentAt, smtp_response: p.response, last_error: null, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', p.id),
  );
  return {
    /** Queue an email as pending, due now, in `trx` when given. A second insert with the same id changes nothing. */
    async insert(draft: EmailDraft, now: string, trx?: Kysely<NotificationTables>): Promise<void> {
      const { id, kind, orderId, to, subject, text, html, messageId } = draft;
      await queue({ id, kind, orderId, to, subject, text, html, messageId, now, traceparent: currentTraceparent() ?? null }, trx);
    },

    /** Pending emails whose time has come, oldest due first. */
    async due(now: string, limit: number): Promise<EmailRecord[]> {
      return (await due({ now, limit })).map(toRecord);
    },

    /**
     * Take a due email for sending until `leaseUntil`, by moving its next
     * attempt there in one conditional update: of several senders sharing the
     * database only one wins, and if it dies mid-send the email is due again
     * when the lease ends. False when another sender has it or it was sent.
     */
    async claim(id: string, now: string, leaseUntil: string): Promise<boolean> {
      return (await claim({ id, now, leaseUntil })) === 1n;
    },

    async markSent(id: string, at: { sentAt: string; response: string }): Promise<void> {
      await markSent({ id, sentAt: at.sentAt, response: at.response });
    },

    /** Record a failed attempt; the email stays pending and is due again at `retryAt`. */
    async markFailed(id: string, failure: { error: string; retryAt: string }): Promise<void> {
      await db
        .updateTable('emails')
        .set((eb) => ({ last_error: failure.error, next_attempt_at: failure.retryAt, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .execute();
    },

    async get(id: string): Promise<EmailRecord | undefined> {
      const row = await db.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    /** Newest first, optionally for one order and/or one status. */
    async list(filter: { orderId?: string; status?: EmailStatus; limit: number }): Promise<EmailRecord[]> {
      let query = db.selectFrom('emails').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(filter.limit);
      if (filter.orderId !== undefined) query = query.where('order_id', '=', filter.orderId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      return (await query.execute()).map(toRecord);
    },
  };
}

export type EmailRepository = ReturnType<typeof emailRepository>;
