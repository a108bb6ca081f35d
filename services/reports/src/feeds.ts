import { createServiceClient, type ServiceClient } from '@bazaar/kit';
import { SOURCES, type Source } from './events.ts';

/** Asks a producer's feed whether it holds events after a position (is the read model caught up?). */
export interface FeedProbe {
  hasEventsAfter(source: Source, position: number): Promise<boolean>;
  close(): Promise<void>;
}

/** A probe over the producers' GET /internal/events (no wait, one event): throws when the feed is unreachable. */
export function feedProbe(opts: { urls: Record<Source, string>; serviceToken: string; timeoutMs?: number }): FeedProbe {
  const clients = Object.fromEntries(
    SOURCES.map((source) => [source, createServiceClient({ name: source, baseUrl: opts.urls[source], serviceToken: opts.serviceToken, timeoutMs: opts.timeoutMs ?? 1500, retries: 0, breakerHalfOpenAfterMs: 500 })]),
  ) as Record<Source, ServiceClient>;
  return {
    async hasEventsAfter(source, position) {
      const res = await clients[source].call({ method: 'GET', path: '/internal/events', query: { after: position, limit: 1, waitMs: 0 } });
      const events = (res.body as { events?: unknown }).events;
      if (!Array.isArray(events)) throw new Error(`${source}'s feed answered without an events list`);
      return events.length > 0;
    },
    async close() {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    },
  };
}
