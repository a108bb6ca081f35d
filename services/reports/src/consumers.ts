import type { Logger, ServiceCredentials } from '@bazaar/kit';
import { createHttpFeedTransport, type AnyCloudEvent, type Subscription } from '@bazaar/messaging';
import { CONSUMER, SOURCES, decodeEvent, streamOf, type Source } from './events.ts';
import type { ReportsStore } from './store/index.ts';

/**
 * Events asked for per feed page: the most a feed serves (@bazaar/contracts/events, `FeedQuery`). A page is one
 * DuckDB transaction, whose cost is mostly per page: a backlog (a rebuild, a burst caught up) went in at ~2,000–2,400
 * events/s in pages of 100 and ~3,900–4,700 in pages of 500 (docs/performance.md). Events that trickle in come in
 * short pages anyway, so nothing waits longer for it.
 */
const FEED_PAGE = 500;

/** The feed subscriptions; stopped and started again around a rebuild. */
export interface Consumers {
  start(): void;
  /** Stop reading; waits for the event in progress. */
  stop(): Promise<void>;
}

/**
 * Read orders' and payments' event feeds (the embedded HTTP transport, from
 * the positions saved in DuckDB) into the read model. A feed page is applied
 * in one transaction (its facts, inbox entries and the cursor past it), so a
 * redelivery never counts twice; a page that fails comes again one event at
 * a time, each in its own transaction.
 */
export function createConsumers(opts: { store: ReportsStore; logger: Logger; urls: Record<Source, string>; credentials: ServiceCredentials; feedWaitMs?: number; feedLingerMs?: number }): Consumers {
  let subscriptions: Subscription[] = [];

  function handlerFor(source: Source) {
    const log = opts.logger.child({ consumer: CONSUMER, source });
    return async (event: AnyCloudEvent): Promise<void> => {
      const decoded = decodeEvent(event);
      switch (decoded.kind) {
        case 'ignored':
          return;
        case 'invalid':
          // It can never succeed: say so loudly and move on rather than block the feed.
          log.error({ eventId: event.id, type: event.type, problem: decoded.problem }, 'event does not match its contract; skipped');
          return;
        case 'fact': {
          const outcome = await opts.store.apply({ event, stream: streamOf(source), fact: decoded.fact });
          log.debug({ eventId: event.id, type: event.type, outcome }, 'event handled');
          return;
        }
        default: {
          const never: never = decoded;
          throw new Error(`unknown decoding ${JSON.stringify(never)}`);
        }
      }
    };
  }

  /** A feed page in one DuckDB transaction: facts, inbox entries and the cursor past the page. */
  function batchHandlerFor(source: Source) {
    const log = opts.logger.child({ consumer: CONSUMER, source });
    return async (events: AnyCloudEvent[]): Promise<void> => {
      const items = events.map((event) => {
        const decoded = decodeEvent(event);
        if (decoded.kind === 'invalid') log.error({ eventId: event.id, type: event.type, problem: decoded.problem }, 'event does not match its contract; skipped');
        return decoded.kind === 'fact' ? { event, fact: decoded.fact } : { event };
      });
      const outcome = await opts.store.applyBatch({ stream: streamOf(source), items });
      log.debug({ events: events.length, ...outcome }, 'batch handled');
    };
  }

  return {
    start() {
      if (subscriptions.length > 0) return;
      const transport = createHttpFeedTransport({
        urls: opts.urls,
        credentials: opts.credentials,
        cursors: opts.store.cursors,
        logger: opts.logger,
        batch: FEED_PAGE,
        ...(opts.feedWaitMs === undefined ? {} : { waitMs: opts.feedWaitMs }),
        ...(opts.feedLingerMs === undefined ? {} : { lingerMs: opts.feedLingerMs }),
      });
      subscriptions = SOURCES.map((source) => transport.subscribe({ source, consumer: CONSUMER, handle: handlerFor(source), handleBatch: batchHandlerFor(source) }));
    },
    async stop() {
      const running = subscriptions;
      subscriptions = [];
      await Promise.all(running.map((s) => s.stop()));
    },
  };
}
