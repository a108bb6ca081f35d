import { createServiceClient, type ServiceClient, type ServiceCredentials } from '@bazaar/kit';
import { feedRoute } from '@bazaar/contracts/events';

/** Asks producers' feeds whether they hold events after a position (is a read model caught up?). */
export interface FeedProbe<S extends string = string> {
  /** Whether `source` holds events after `position`; throws when its feed cannot be asked. */
  hasEventsAfter(source: S, position: number): Promise<boolean>;
  close(): Promise<void>;
}

/** A probe over each producer's GET /internal/events (no wait, one event), with the consuming service's credential. */
export function feedProbe<S extends string>(opts: { urls: Record<S, string>; credentials: ServiceCredentials; timeoutMs?: number }): FeedProbe<S> {
  const clients = new Map<string, ServiceClient>();
  for (const [source, baseUrl] of Object.entries(opts.urls) as [S, string][]) {
    clients.set(source, createServiceClient({ name: source, baseUrl, credentials: opts.credentials, timeoutMs: opts.timeoutMs ?? 1500, retries: 0, breakerHalfOpenAfterMs: 500, connections: 1 }));
  }
  return {
    async hasEventsAfter(source, position) {
      const client = clients.get(source);
      if (!client) throw new Error(`no feed URL for ${source}`);
      const res = await client.call(feedRoute, { query: { after: position, limit: 1, waitMs: 0 } });
      return res.body.events.length > 0;
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
