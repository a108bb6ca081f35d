import { SpanKind, backoffDelay, inSpan, remoteParent, startPeriodic, type Logger, type PeriodicLoop } from '@bazaar/kit';
import type { EmailRecord, EmailRepository } from './store/index.ts';
import type { MailTransport } from './upstream/smtp.ts';

export interface SenderOptions {
  emails: EmailRepository;
  transport: MailTransport;
  from: string;
  logger: Logger;
  /** How often pending emails are looked for, besides kicks. */
  intervalMs: number;
  retry: { baseMs: number; maxMs: number };
  /** How long a claimed email is reserved for its sender. Default 2 minutes. */
  leaseMs?: number;
  /** Emails per pass. Default 20. */
  batch?: number;
}

/** Delay before retry number `attempt` (1-based): doubling from base, capped, with ±20 % jitter. */
export function retryDelay(attempt: number, retry: { baseMs: number; maxMs: number }): number {
  return backoffDelay(attempt, { ...retry, jitter: 0.2 });
}

/**
 * Sends pending emails, on a timer and whenever kicked (after an event queued
 * one). An SMTP failure leaves the email pending with its attempt counted and
 * a backoff; it is retried until it goes through, never dropped.
 */
export function createSender(opts: SenderOptions) {
  const log = opts.logger.child({ component: 'sender' });
  const leaseMs = opts.leaseMs ?? 120_000;
  const batch = opts.batch ?? 20;
  /** The background loop, while started. */
  let loop: PeriodicLoop | undefined;

  /**
   * Record a send the SMTP server accepted. The database may be away (a
   * restart) right then: keep trying while this sender's claim lasts, since
   * giving up would let the claim run out and the email go out a second time.
   */
  async function recordSent(email: EmailRecord, at: { sentAt: string; response: string }, claimUntil: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await opts.emails.markSent(email.id, at);
        return;
      } catch (error) {
        const wait = Math.min(2000, 50 * 2 ** attempt);
        // Stop in time to leave a margin before the claim ends (another sender may take it then).
        if (Date.now() + wait > claimUntil - Math.min(10_000, leaseMs / 4)) throw error;
        if (attempt === 1) log.warn({ emailId: email.id, err: (error as Error).message }, 'email sent; recording it failed, retrying');
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  async function sendOne(email: EmailRecord): Promise<void> {
    let sent = false;
    const now = new Date();
    if (!(await opts.emails.claim(email.id, now.toISOString(), new Date(now.getTime() + leaseMs).toISOString()))) return;
    try {
      // The send is a span of the trace that queued the email (the checkout's), whenever it happens.
      const { response } = await inSpan(
        `smtp send ${email.kind}`,
        { kind: SpanKind.CLIENT, parent: remoteParent(email.traceparent ?? undefined), attributes: { 'bazaar.order_id': email.orderId, 'bazaar.email.kind': email.kind, 'bazaar.email.attempt': email.attempts + 1, 'peer.service': 'smtp' } },
        () => opts.transport.send({
        from: opts.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: email.messageId,
        // Automatic mail (RFC 3834): auto-responders must not answer it.
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Bazaar-Event-Id': email.id },
        }),
      );
      sent = true;
      await recordSent(email, { sentAt: new Date().toISOString(), response }, now.getTime() + leaseMs);
      log.info({ emailId: email.id, kind: email.kind, orderId: email.orderId, messageId: email.messageId, attempt: email.attempts + 1 }, 'email sent');
    } catch (error) {
      // Handed over but not recorded (the database stayed away past the claim): it will be sent again; say so.
      if (sent) {
        log.error({ err: error, emailId: email.id, messageId: email.messageId }, 'email sent but not recorded before its claim ran out; it may be sent again (same Message-ID)');
        return;
      }
      const attempt = email.attempts + 1;
      const delay = retryDelay(attempt, opts.retry);
      const e = error as { message?: string; code?: string; responseCode?: number };
      const reason = [e.responseCode, e.code, e.message].filter((x) => x !== undefined).join(' ');
      await opts.emails.markFailed(email.id, { error: reason.slice(0, 500), retryAt: new Date(Date.now() + delay).toISOString() });
      log.warn({ emailId: email.id, kind: email.kind, orderId: email.orderId, attempt, retryInMs: delay, err: reason }, 'email not sent; will retry');
    }
  }

  /** One pass over the due emails, until none is left or sending fails. */
  async function pass(): Promise<void> {
    for (;;) {
      const due = await opts.emails.due(new Date().toISOString(), batch);
      for (const email of due) await sendOne(email);
      if (due.length < batch) return;
    }
  }

  /** A pass that never throws: the store failing (e.g. closing) must not kill the loop; the next pass tries again. */
  async function guardedPass(): Promise<void> {
    try {
      await pass();
    } catch (error) {
      log.error({ err: error }, 'sender pass failed');
    }
  }

  return {
    start(): void {
      if (loop) return;
      loop = startPeriodic({ everyMs: opts.intervalMs, pass: guardedPass, onError: () => undefined });
      loop.kick();
    },
    /** Look for pending emails now (e.g. right after one was queued). */
    kick(): void {
      loop?.kick();
    },
    /** Send everything due now and wait for it (tests, operators). */
    async runOnce(): Promise<void> {
      await (loop ? loop.runNow() : guardedPass());
    },
    /** Stop the timer and wait for the pass in progress; the transport is closed. */
    async stop(): Promise<void> {
      const stopping = loop;
      loop = undefined;
      await stopping?.stop();
      opts.transport.close();
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
