/**
 * The dead letters the dashboard's Events page shows and replays: the same
 * JetStream dead-letter stream and operations as `npm run dead-letters`
 * (packages/messaging, ADR 0008), over the launcher's own NATS connection.
 * Only with NATS JetStream (--infra or NATS_URL): the embedded feed has no
 * dead letters (a failing event holds its consumer's line and is retried).
 */
import type { DeadLetter, JetStreamConnection } from '@bazaar/messaging';

export type { DeadLetter };

export interface DeadLetters {
  /** Where they are kept (the stream's name), for the page. */
  readonly where: string;
  /** The dead letters waiting, oldest first (at most `limit`). */
  list(limit?: number): Promise<DeadLetter[]>;
  /** Send one back to the consumer that gave up on it (only that one), and remove it from the list. */
  replay(seq: number): Promise<DeadLetter>;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 3000;

/**
 * Dead letters on the NATS server(s) at `url`, under the services' NATS_STREAM_PREFIX. The messaging package and the
 * kit's logger are loaded here, only in NATS mode: the launcher's own start does not pay for them (docs/performance.md).
 */
export async function jetStreamDeadLetters(opts: { url: string; prefix: string }): Promise<DeadLetters> {
  const [{ createLogger }, { connectJetStream, listDeadLetters, replayDeadLetters }] = await Promise.all([import('@bazaar/kit'), import('@bazaar/messaging')]);
  const connection: JetStreamConnection = connectJetStream({ url: opts.url, prefix: opts.prefix, logger: createLogger({ service: 'launcher', level: 'silent' }), name: 'bazaar-launcher-dead-letters' });
  const ready = async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        connection.ready(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`NATS JetStream at ${opts.url} does not answer (within ${READY_TIMEOUT_MS / 1000} s)`)), READY_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    where: connection.names.deadLetterStream,
    async list(limit = 200) {
      return listDeadLetters(await ready(), connection.names, { limit });
    },
    async replay(seq) {
      const [letter] = await replayDeadLetters(await ready(), connection.names, { ids: [String(seq)] });
      if (!letter) throw new Error(`no dead letter ${seq}`);
      return letter;
    },
    close: () => connection.close(),
  };
}
