import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@bazaar/kit';
import { retryDelayMs } from '../http-transport.ts';
import type { OutboxTables } from '../outbox.ts';
import { relayQueries, type RelayStore } from '../relay-store.ts';
import type { JetStreamConnection, NatsHandles } from './connection.ts';
import { ensureStream, publishEvent, sourceStreamConfig } from './streams.ts';
import { sleep } from '../sleep.ts';

export interface OutboxRelayOptions<DB extends OutboxTables> {
  /** The producer's store; its outbox needs outboxRelayMigration. */
  store: RelayStore<DB>;
  connection: JetStreamConnection;
  logger: Logger;
  /** How often an idle relay looks for new rows. Default 50 ms (as the embedded feed's long-poll). */
  intervalMs?: number;
  /** Rows claimed and published per round. Default 100. */
  batch?: number;
  /** How long a claim holds before another relay may take the rows over. Default 30 s. */
  leaseMs?: number;
  /** On stop, how long to keep publishing what is left. Default 2 s. */
  flushMs?: number;
}

export interface OutboxRelay {
  /** Stop claiming, publish what is left (within flushMs), give up claims. Call before closing the store. */
  stop(): Promise<void>;
  /** Events this relay had stored by JetStream, and re-publishes JetStream dropped as duplicates. */
  stats(): { published: number; duplicates: number };
}

/**
 * Publish a producer's outbox to JetStream, in seq order, and mark rows
 * published once JetStream has stored them. Safe with several instances of
 * the producer (claims, see relayQueries) and across crashes: a row
 * published but not yet marked is published again with the same
 * Nats-Msg-Id, which JetStream drops.
 */
export function startOutboxRelay<DB extends OutboxTables>(opts: OutboxRelayOptions<DB>): OutboxRelay {
  const intervalMs = opts.intervalMs ?? 50;
  const batch = opts.batch ?? 100;
  const leaseMs = opts.leaseMs ?? 30_000;
  const flushMs = opts.flushMs ?? 2000;
  const me = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const queries = relayQueries(opts.store, me);
  const names = opts.connection.names;
  const log = opts.logger.child({ component: 'outbox-relay', relay: me });
  const stats = { published: 0, duplicates: 0 };
  const ensured = new Set<string>();
  const abort = new AbortController();

  /** One round: claim from the head, publish in order, mark. True when there may be more right away. */
  async function round(h: NatsHandles): Promise<boolean> {
    if (!(await queries.hasPending())) return false;
    const events = await queries.claim(batch, leaseMs);
    if (events.length === 0) return false;
    const published: number[] = [];
    try {
      for (const event of events) {
        if (!ensured.has(event.source)) {
          // The producer owns its stream: create it, or bring its settings up to date.
          await ensureStream(h.jsm, sourceStreamConfig(names, event.source), { owner: true });
          ensured.add(event.source);
        }
        const ack = await publishEvent(h, names, event);
        if (ack.duplicate) stats.duplicates += 1;
        else stats.published += 1;
        published.push(event.sequence);
      }
    } finally {
      await queries.markPublished(published);
    }
    return events.length === batch;
  }

  const done = (async () => {
    const stopped = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
    stopped.catch(() => undefined);
    let failures = 0;
    while (!abort.signal.aborted) {
      let more: boolean;
      try {
        more = await round(await Promise.race([opts.connection.ready(), stopped]));
        if (failures > 0) log.info({ afterFailures: failures }, 'relaying to JetStream again');
        failures = 0;
      } catch (error) {
        if (abort.signal.aborted) break;
        // The stream may have been deleted: make sure of it again before the next publish.
        ensured.clear();
        failures += 1;
        // Rows stay in the outbox: nothing is lost, only delayed.
        if (failures === 1 || failures % 20 === 0) log.warn({ err: (error as Error).message, failures }, 'cannot relay the outbox to JetStream; retrying');
        await sleep(retryDelayMs(failures), abort.signal);
        continue;
      }
      if (!more) await sleep(intervalMs, abort.signal);
    }
  })();

  return {
    stats: () => ({ ...stats }),
    async stop() {
      abort.abort();
      await done;
      // Flush: what was committed just before shutdown goes out now rather than on the next start.
      const deadline = Date.now() + flushMs;
      try {
        await opts.connection.check();
        const h = await opts.connection.ready();
        let more = true;
        while (more && Date.now() < deadline) more = await round(h);
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'outbox not flushed on stop; another instance or the next start publishes it');
      }
      await queries.release().catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not release outbox claims; they expire'));
    },
  };
}
