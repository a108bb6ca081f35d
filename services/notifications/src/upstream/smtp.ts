import { connect as netConnect } from 'node:net';
import { createTransport } from 'nodemailer';
import type { SMTPTransportGetSocket } from 'nodemailer/lib/smtp-transport';

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
