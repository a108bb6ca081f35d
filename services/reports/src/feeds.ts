import { feedProbe as probeFeeds, type FeedProbe as Probe } from '@bazaar/messaging';
import type { Source } from './events.ts';

/** Asks a producer's feed whether it holds events after a position (is the read model caught up?). */
export type FeedProbe = Probe<Source>;

/** A probe over the producers' GET /internal/events (no wait, one event): throws when the feed is unreachable. */
export function feedProbe(opts: { urls: Record<Source, string>; serviceToken: string; timeoutMs?: number }): FeedProbe {
  return probeFeeds(opts);
}
