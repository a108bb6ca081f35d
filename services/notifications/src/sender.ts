import { connect as netConnect } from 'node:net';
import { createTransport } from 'nodemailer';
import type { SMTPTransportGetSocket } from 'nodemailer/lib/smtp-transport';
import { SpanKind, inSpan, remoteParent, type Logger } from '@bazaar/kit';
import type { EmailRecord, EmailRepository } from './store/index.ts';

/** What the sender needs from a mail transport: hand one message over, resolve with the server's reply. */
export interface MailTransport {
  send(mail: { from: string; to: string; subject: string; text: string; html: string; messageId: string; headers: Record<string, string> }): Promise<{ response: string }>;
  close(): void;
}

/**
 * SMTP through nodemailer, one connection per message (plenty for local
 * SMTP; a relay with a real server can add pooling). Timeouts are well under
 * the send lease, so a hung server never lets a second sender take the email
 * while the first is still talking.
 */
export function smtpTransport(url: string, opts: { socketTimeoutMs?: number } = {}): MailTransport {
  const secure = url.startsWith('smtps:');
  const mailer = createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: opts.socketTimeoutMs ?? 30_000,
    // Plain SMTP: our own socket, whose idle timeout waits for the bytes already received (issue 12, defect 4).
    ...(secure ? {} : { getSocket: patientSocket }),
  });
  return {
    async send(mail) {
      const info = await mailer.sendMail(mail);
      return { response: info.response };
    },
    close: () => mailer.close(),
  };
}

/**
 * A TCP socket for nodemailer whose idle 'timeout' is decided one I/O turn
 * late. After the process was frozen (SIGSTOP, a long GC pause, a VM stall)
 * Node runs its expired timers before it reads the sockets: the timeout fired
 * although the server's "250 queued" was already waiting, so the email was
 * counted as failed and sent again. Here a timeout is only passed on when no
 * byte arrived in the poll phase that follows it.
 */
const patientSocket: SMTPTransportGetSocket = (options, callback) => {
  const socket = netConnect({ host: options.host ?? '127.0.0.1', port: Number(options.port ?? 25) });
  let connected = false;
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event !== 'timeout') return emit(event, ...args);
    const before = received;
    // setImmediate runs after the poll phase, where pending bytes are read; two turns for a reply split in parts.
    setImmediate(() => setImmediate(() => {
      if (received === before && !socket.destroyed) emit('timeout');
    }));
    return true;
  }) as typeof socket.emit;
  socket.once('connect', () => {
    connected = true;
    callback(null, { connection: socket });
  });
  // Before the connection is handed over, a failure (refused, unreachable) is nodemailer's to report; after, its own listeners have it.
  socket.once('error', (error) => {
    if (!connected) callback(error);
  });
};

/** Only the host and port of an SMTP URL: safe to log (the URL may carry a password). */
export function smtpTarget(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid SMTP_URL)';
  }
}

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
  const plain = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(plain * (0.8 + Math.random() * 0.4));
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
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;

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

  async function run(): Promise<void> {
    do {
      again = false;
      try {
        await pass();
      } catch (error) {
        // The store failing (e.g. closing) must not kill the loop; the next tick tries again.
        log.error({ err: error }, 'sender pass failed');
      }
    } while (again && !stopped);
  }

  function schedule(): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, opts.intervalMs);
    timer.unref();
  }

  function tick(): void {
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
      schedule();
    });
  }

  return {
    start(): void {
      stopped = false;
      tick();
    },
    /** Look for pending emails now (e.g. right after one was queued). */
    kick(): void {
      if (!stopped) tick();
    },
    /** Send everything due now and wait for it (tests, operators). */
    async runOnce(): Promise<void> {
      while (running) await running;
      running = run().finally(() => {
        running = undefined;
        schedule();
      });
      await running;
    },
    /** Stop the timer and wait for the pass in progress; the transport is closed. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      while (running) await running;
      opts.transport.close();
    },
  };
}

export type Sender = ReturnType<typeof createSender>;
