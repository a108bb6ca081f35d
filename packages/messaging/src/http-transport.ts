import { Type } from 'typebox';
import { HttpPool, SERVICE_CREDENTIAL_HEADER, backoffDelay, failSpan, instanceUrls, type Clock, type Logger, type ServiceCredentials } from '@bazaar/kit';
import type { AnyCloudEvent, EventTransport, SubscribeOptions, Subscription } from './types.ts';
import type { CursorStore } from './inbox.ts';
import { sleep } from './sleep.ts';
import { consumeInTrace, consumerSpan } from './trace.ts';

export interface HttpFeedTransportOptions {
  /** Base URL of each producing service, by source name; several instances may be listed, comma-separated (they serve the same feed). */
  urls: Record<string, string>;
  /** The consuming service's credentials: its name and secret go with every feed read. */
  credentials: ServiceCredentials;
  /** Where this consumer keeps its position per source (its own database). */
  cursors: CursorStore;
  logger: Logger;
  /** Long-poll wait per request. Default 20 s. */
  waitMs?: number;
  /** Events per request. Default 100. */
  batch?: number;
  /**
   * After a page that was not full, wait this long before asking for the next, so that events trickling in arrive
   * together: fewer, larger batches for a consumer whose every batch costs a transaction (reports: one DuckDB commit
   * per page), and fewer feed reads for the producer. Adds up to this much to the consumer's lag. Default 0 (ask at once).
   */
  lingerMs?: number;
  /** Time for the linger (tests pass a manual clock). */
  clock?: Clock;
}

/**
 * Config key of a service that reads embedded feeds; spread into its `configSchema({...})` and pass the value as
 * `lingerMs`. Every consumer reads after the fact (read models, emails, the cart's backup clearing, refunds' restock),
 * so a quarter of a second more lag buys one page, one commit and one producer read for what came meanwhile. A
 * consumer whose commits cost more (reports, on DuckDB) waits longer by default.
 */
export function feedConsumerConfig(defaultLingerMs = 250) {
  return {
    EVENT_FEED_LINGER_MS: Type.Integer({
      minimum: 0,
      maximum: 5000,
      default: defaultLingerMs,
      description: 'Embedded feeds: pause after a page that was not full, so events trickling in come together (fewer commits and producer reads); adds up to this much lag. 0: ask again at once',
    }),
  };
}

/** The feed consumer's config with the default linger (250 ms). */
export const FeedConsumerConfig = feedConsumerConfig();

/** Backoff between failed attempts: 100 ms doubling to 5 s. */
export function retryDelayMs(attempt: number): number {
  return backoffDelay(attempt, { baseMs: 100, maxMs: 5000 });
}

/**
 * The embedded transport: each consumer long-polls the producer's
 * `/internal/events` feed from its saved cursor, hands events to the handler
 * in order, and saves the cursor after each acknowledged event (or page,
 * when the subscriber takes batches: a page is one batch). A producer
 * that is down is retried with backoff; nothing is lost because the events
 * wait in the producer's outbox.
 */
export function createHttpFeedTransport(opts: HttpFeedTransportOptions): EventTransport {
  const waitMs = opts.waitMs ?? 20_000;
  const batch = opts.batch ?? 100;
  const lingerMs = opts.lingerMs ?? 0;
  return {
    subscribe(sub: SubscribeOptions): Subscription {
      const baseUrl = opts.urls[sub.source];
      if (!baseUrl) throw new Error(`No URL for event source "${sub.source}"; known: ${Object.keys(opts.urls).join(', ')}`);
      // Any instance of the producer serves the same feed (one database): on failure, ask the next.
      const pools = instanceUrls(baseUrl).map((url) => new HttpPool(url, { connections: 2, inactivityTimeoutMs: waitMs + 10_000 }));
      let current = 0;
      const abort = new AbortController();
      const log = opts.logger.child({ source: sub.source, consumer: sub.consumer });

      async function deliver(event: AnyCloudEvent): Promise<boolean> {
        for (let attempt = 1; !abort.signal.aborted; attempt++) {
          try {
            await consumeInTrace({ event, consumer: sub.consumer, system: 'http-feed', attempt }, () => sub.handle(event));
            return true;
          } catch (error) {
            log.error({ err: error, eventId: event.id, type: event.type, attempt }, 'event handler failed; will redeliver');
            await sleep(retryDelayMs(attempt), abort.signal);
          }
        }
        return false;
      }

      /** True when the handler took the whole batch; false when it threw (logged) or we are stopping. */
      async function deliverBatch(events: AnyCloudEvent[]): Promise<boolean> {
        if (abort.signal.aborted) return false;
        // One CONSUMER span per event, each the child of its producer's change, around the shared batch work.
        const spans = events.map((event) => consumerSpan({ event, consumer: sub.consumer, system: 'http-feed', batchSize: events.length }));
        try {
          await (sub.handleBatch as (events: AnyCloudEvent[]) => Promise<void>)(events);
          for (const span of spans) span.end();
          return true;
        } catch (error) {
          for (const span of spans) {
            failSpan(span, error);
            span.end();
          }
          log.error({ err: error, first: events[0]?.id, count: events.length }, 'batch handler failed; delivering its events one at a time');
          return false;
        }
      }

      const done = (async () => {
        const stream = `${sub.source}/${sub.consumer}`;
        // What this consumer presents to that producer (its secret derived for it).
        const credentialHeader = opts.credentials.headerFor(sub.source);
        let position = await opts.cursors.load(stream);
        let failures = 0;
        /** The page after `after`, from the producer instance in use. */
        const fetchPage = async (after: number): Promise<AnyCloudEvent[]> => {
          const res = await (pools[current] as HttpPool).request({
            method: 'GET',
            path: `/internal/events?after=${after}&limit=${batch}&waitMs=${waitMs}`,
            headers: { [SERVICE_CREDENTIAL_HEADER]: credentialHeader, accept: 'application/json' },
            signal: abort.signal,
          });
          if (res.statusCode !== 200) throw new Error(`feed answered ${res.statusCode}`);
          const body = JSON.parse(res.text) as { events?: AnyCloudEvent[] };
          if (!Array.isArray(body.events)) throw new Error('feed answered 200 without an "events" array');
          return body.events;
        };
        // The next page, asked for while a full one is being applied (a backlog: a rebuild, a catch-up).
        let ahead: { after: number; page: Promise<AnyCloudEvent[]> } | undefined;
        while (!abort.signal.aborted) {
          try {
            const next = ahead?.after === position ? ahead.page : fetchPage(position);
            ahead = undefined;
            const events = await next;
            if (failures > 0) log.info({ afterFailures: failures }, 'event feed reachable again');
            failures = 0;
            // A full page means more is waiting: ask for it now, so the producer's read and the transfer overlap
            // with this page's handling. Whatever happens below, the next page starts after this page's last event.
            if (events.length === batch) {
              const after = (events.at(-1) as AnyCloudEvent).sequence;
              const page = fetchPage(after);
              page.catch(() => undefined); // awaited (and its failure handled) on the next turn, or dropped
              ahead = { after, page };
            }
            // A page is a batch: one call, one cursor save. A failed batch comes again one event at a time.
            if (sub.handleBatch && events.length > 0 && (await deliverBatch(events))) {
              position = (events.at(-1) as AnyCloudEvent).sequence;
              await opts.cursors.save(stream, position);
            } else {
              for (const event of events) {
                if (!(await deliver(event))) return;
                position = event.sequence;
                await opts.cursors.save(stream, position);
              }
            }
            // An empty page was a long poll that ran out: ask again. A short one: linger, so what trickles in comes together.
            if (lingerMs > 0 && events.length > 0 && events.length < batch) await sleep(lingerMs, abort.signal, opts.clock);
          } catch (error) {
            ahead = undefined;
            if (abort.signal.aborted) return;
            failures += 1;
            current = (current + 1) % pools.length;
            if (failures === 1 || failures % 20 === 0) log.warn({ err: (error as Error).message, failures }, 'event feed unavailable; retrying');
            await sleep(retryDelayMs(failures), abort.signal);
          }
        }
      })();

      return {
        async stop() {
          abort.abort();
          await done.catch(() => undefined);
          await Promise.all(pools.map((pool) => pool.close().catch(() => undefined)));
        },
      };
    },
  };
}
