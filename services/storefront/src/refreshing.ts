import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '@bazaar/kit';

/**
 * A value loaded from another service and kept `ttlMs`, for what every page
 * shows and rarely changes (the category menu, the home page's rows):
 *   - the first callers share one load (a cold cache under ten shoppers was
 *     ten loads: the home page's p99 was twenty times its median);
 *   - once it is older than `ttlMs`, callers get it at once while one load
 *     runs in the background (stale-while-revalidate), so no page waits on an
 *     expiry;
 *   - a load that fails keeps the value of before; with none yet, the call
 *     rejects and the page decides what to show.
 * lru-cache's `fetch` does the sharing and the background load; time comes
 * from the clock, so tests step it.
 */
export function refreshing<V extends object>(load: () => Promise<V>, opts: { ttlMs: number; clock?: Clock }): () => Promise<V> {
  const clock = opts.clock ?? systemClock;
  const cache = new LRUCache<'value', V>({
    max: 1,
    ttl: opts.ttlMs,
    // No cached reading of the clock: a page asks once, and a stepped test clock is read as it is.
    ttlResolution: 0,
    allowStale: true,
    noDeleteOnFetchRejection: true,
    allowStaleOnFetchRejection: true,
    perf: { now: () => clock.now() },
    fetchMethod: () => load(),
  });
  return async () => {
    const value = await cache.fetch('value');
    // fetchMethod never resolves undefined: undefined means the load failed with nothing kept.
    if (value === undefined) throw new Error('not loaded');
    return value;
  };
}
