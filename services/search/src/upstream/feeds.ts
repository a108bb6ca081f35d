import type { Logger, ServiceCredentials } from '@bazaar/kit';
import { createHttpFeedTransport, feedProbe, type CursorStore, type EventTransport } from '@bazaar/messaging';
import type { Source } from '../events.ts';

/** How search reaches its producers' event feeds. */
export interface Feeds {
  /** A transport reading every source's feed from the positions in `cursors`. */
  transport(cursors: CursorStore): EventTransport;
  /** The sequence of the newest event `source` holds (0: none yet); throws when it cannot be asked. */
  head(source: Source): Promise<number>;
  close(): Promise<void>;
}

/**
 * The embedded transport: long-polls each producer's GET /internal/events.
 * A waiting long-poll answers as soon as an event is written (the feed looks
 * every 50 ms), so a change reaches the index well within a second; the wait
 * only bounds how long an idle request stays open.
 */
export function httpFeeds(opts: { urls: Record<Source, string>; credentials: ServiceCredentials; logger: Logger; waitMs: number }): Feeds {
  const probe = feedProbe({ urls: opts.urls, credentials: opts.credentials, timeoutMs: 2000 });
  return {
    transport: (cursors) => createHttpFeedTransport({ urls: opts.urls, credentials: opts.credentials, cursors, logger: opts.logger, waitMs: opts.waitMs }),
    head: (source) => probe.head(source),
    close: () => probe.close(),
  };
}
