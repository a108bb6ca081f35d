import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { Logger } from '@bazaar/kit';
import type { Mailbox } from './mailbox.ts';

export interface SmtpSinkOptions {
  mailbox: Mailbox;
  logger: Logger;
  /** Largest message accepted, in bytes (advertised as SMTP SIZE). */
  maxBytes: number;
}

/** A running SMTP sink. */
export interface SmtpSink {
  /** The port it listens on (useful after listening on port 0). */
  port: number;
  /** True while the server accepts connections. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/** An SMTP error with a reply code, as smtp-server sends it to the client. */
function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

/**
 * Accept every message: any or no authentication, no TLS (STARTTLS is
 * disabled, this only ever listens on a local interface), parse it and keep
 * it in the mailbox. It is a sink, not a relay: nothing is forwarded.
 */
export async function startSmtpSink(opts: SmtpSinkOptions & { host: string; port: number }): Promise<SmtpSink> {
  const log = opts.logger.child({ component: 'smtp' });
  const server = new SMTPServer({
    name: 'bazaar-mail-sink',
    banner: 'Bazaar mail sink: accepts everything, delivers nothing',
    size: opts.maxBytes,
    authOptional: true,
    // Credentials arrive in clear text without TLS; a sink accepts them anyway and checks nothing.
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      receive({ stream, session, mailbox: opts.mailbox, logger: log }).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    },
  });
  server.on('error', (error) => log.warn({ err: error }, 'SMTP connection error'));

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    port,
    get listening() {
      return server.server.listening;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function receive(args: { stream: SMTPServerDataStream; session: SMTPServerSession; mailbox: Mailbox; logger: Logger }): Promise<void> {
  const { stream, session } = args;
  const parsed = await simpleParser(stream);
  // The whole stream has been read by now, so sizeExceeded is final.
  if (stream.sizeExceeded) throw smtpError('Message exceeds fixed maximum message size', 552);
  const envelopeFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
  const stored = args.mailbox.add({
    messageId: parsed.messageId ?? '',
    from: parsed.from?.text ?? envelopeFrom,
    to: session.envelope.rcptTo.map((r) => r.address),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    ...(typeof parsed.html === 'string' ? { html: parsed.html } : {}),
    size: stream.byteLength,
  });
  args.logger.info({ id: stored.id, messageId: stored.messageId, recipients: stored.to.length, size: stored.size }, 'message received');
}
