import { Type } from 'typebox';
import { createServiceClient, type Logger } from '@bazaar/kit';
import { createHttpFeedTransport, type CursorStore, type EventTransport } from '@bazaar/messaging';
import type { Source } from './events.ts';

/** How search reaches its producers' event feeds. */
export interface Feeds {
  /** A transport reading every source's feed from the positions in `cursors`. */
  transport(cursors: CursorStore): EventTransport;
  /** Whether `source` holds events after `position`; throws when it cannot be asked. */
  hasEventsAfter(source: Source, position: number): Promise<boolean>;
  close(): Promise<void>;
}

const FeedPeek = Type.Object({ events: Type.Array(Type.Unknown()) }, { additionalProperties: true });

/**
 * The embedded transport: long-polls each producer's GET /internal/events.
 * A waiting long-poll answers as soon as an event is written (the feed looks
 * every 50 ms), so a change reaches the index well within a second; the wait
 * only bounds how long an idle request stays open.
 */
export function httpFeeds(opts: { urls: Record<Source, string>; serviceToken: string; logger: Logger; waitMs: number }): Feeds {
  const clients = Object.fromEntries(
    Object.entries(opts.urls).map(([source, baseUrl]) => [source, createServiceClient({ name: source, baseUrl, serviceToken: opts.serviceToken, retries: 0, timeoutMs: 2000, connections: 1 })]),
  );
  return {
    transport: (cursors) => createHttpFeedTransport({ urls: opts.urls, serviceToken: opts.serviceToken, cursors, logger: opts.logger, waitMs: opts.waitMs }),
    async hasEventsAfter(source, position) {
      const client = clients[source];
      if (!client) throw new Error(`no URL for ${source}`);
      const res = await client.call({ method: 'GET', path: '/internal/events', query: { after: position, limit: 1 }, response: FeedPeek });
      return res.body.events.length > 0;
    },
    async close() {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    },
  };
}
