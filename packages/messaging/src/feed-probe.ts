import { createServiceClient, type ServiceClient, type ServiceCredentials } from '@bazaar/kit';
import { feedRoute } from '@bazaar/contracts/events';

/** Asks producers' feeds how far their history goes (has a rebuilding read model replayed it?). */
export interface FeedProbe<S extends string = string> {
  /** The sequence of the newest event `source` holds (0: none yet); throws when its feed cannot be asked. */
  head(source: S): Promise<number>;
  close(): Promise<void>;
}

/** A probe over each producer's GET /internal/events (no wait, the newest event), with the consuming service's credential. */
export function feedProbe<S extends string>(opts: { urls: Record<S, string>; credentials: ServiceCredentials; timeoutMs?: number }): FeedProbe<S> {
  const clients = new Map<string, ServiceClient>();
  for (const [source, baseUrl] of Object.entries(opts.urls) as [S, string][]) {
    clients.set(source, createServiceClient({ name: source, baseUrl, credentials: opts.credentials, timeoutMs: opts.timeoutMs ?? 1500, retries: 0, breakerHalfOpenAfterMs: 500, connections: 1 }));
  }
  const clientOf = (source: S): ServiceClient => {
    const client = clients.get(source);
    if (!client) throw new Error(`no feed URL for ${source}`);
    return client;
  };
  return {
    async head(source) {
      const res = await clientOf(source).call(feedRoute, { query: { after: 0, limit: 1, waitMs: 0, order: 'desc' } });
      return res.body.events[0]?.sequence ?? 0;
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}

/**
 * Where a read model that replays its sources from position 0 (a rebuild) stands: a source's history is replayed
 * once the position reached is at or past the newest event its feed held when first asked during this replay. Asked
 * once per source per replay; a feed that cannot be asked throws, and is asked again next time. Not "nothing after
 * the position": a feed that shoppers keep writing to is seldom found with nothing after it, and a rebuild that waits
 * for that never ends under load (docs/performance.md, "A rebuild that never ended under load").
 */
export function replayProgress<S extends string>(feeds: Pick<FeedProbe<S>, 'head'>) {
  let heads = new Map<S, number>();
  return {
    /** A new replay from position 0: the heads are asked again. */
    restart(): void {
      heads = new Map();
    },
    /** Whether `source`'s history is replayed at `position`. */
    async replayed(source: S, position: number): Promise<boolean> {
      // The map of this replay: a head asked across a restart() is not kept for the next one.
      const mine = heads;
      let head = mine.get(source);
      if (head === undefined) {
        head = await feeds.head(source);
        mine.set(source, head);
      }
      return position >= head;
    },
  };
}
