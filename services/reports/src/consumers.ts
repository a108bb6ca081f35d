import type { Logger } from '@bazaar/kit';
import { createHttpFeedTransport, type AnyCloudEvent, type Subscription } from '@bazaar/messaging';
import { CONSUMER, SOURCES, decodeEvent, streamOf, type Source } from './events.ts';
import type { ReportsStore } from './store/index.ts';

/** The feed subscriptions; stopped and started again around a rebuild. */
export interface Consumers {
  start(): void;
  /** Stop reading; waits for the event in progress. */
  stop(): Promise<void>;
}

/**
 * Read orders' and payments' event feeds (the embedded HTTP transport, from
 * the positions saved in DuckDB) into the read model. Each event's fact, inbox
 * entry and cursor commit together, so a redelivery never counts twice.
 */
export function createConsumers(opts: { store: ReportsStore; logger: Logger; urls: Record<Source, string>; serviceToken: string; feedWaitMs?: number }): Consumers {
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

  return {
    start() {
      if (subscriptions.length > 0) return;
      const transport = createHttpFeedTransport({
        urls: opts.urls,
        serviceToken: opts.serviceToken,
        cursors: opts.store.cursors,
        logger: opts.logger,
        ...(opts.feedWaitMs === undefined ? {} : { waitMs: opts.feedWaitMs }),
      });
      subscriptions = SOURCES.map((source) => transport.subscribe({ source, consumer: CONSUMER, handle: handlerFor(source) }));
    },
    async stop() {
      const running = subscriptions;
      subscriptions = [];
      await Promise.all(running.map((s) => s.stop()));
    },
  };
}
