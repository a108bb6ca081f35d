import { createSerial, type Logger } from '@bazaar/kit';
import type { Consumers } from './consumers.ts';
import { SOURCES, streamOf, type Source } from './events.ts';
import { replayProgress, type FeedProbe } from '@bazaar/messaging';
import type { ReportsStore } from './store/index.ts';

export type FeedState = 'caught-up' | 'behind' | 'unreachable' | 'unknown';

/** Where a rebuild stands (GET /internal/reports/rebuild, /readyz). */
export interface RebuildStatus {
  rebuilding: boolean;
  startedAt: string | null;
  /** Events applied since the read model was last emptied. */
  events: number;
  sources: Record<Source, { position: number; feed: FeedState }>;
}

/** What the HTTP edge can do about rebuilds. */
export interface RebuildControl {
  /** Empty the read model and replay every feed from position 0. */
  request(): Promise<{ startedAt: string }>;
  status(): Promise<RebuildStatus>;
  /** Readiness check: throws, with the progress, while a rebuild is in progress. */
  readiness(): Promise<void>;
}

/**
 * Rebuilds the read model from the producers' event history. A rebuild is
 * marked in the database (so one interrupted by a crash is still reported
 * after the restart), and ends when the read model has replayed each feed's
 * history: reached the newest event the feed held when the rebuild first
 * asked it (replayProgress; a feed that grows all the time under checkouts
 * is never found with nothing after the position). A database created empty
 * starts marked.
 */
export function createRebuilder(opts: { store: ReportsStore; consumers: Consumers; probe: FeedProbe<Source>; logger: Logger; checkEveryMs?: number }) {
  const log = opts.logger.child({ component: 'rebuild' });
  const checkEveryMs = opts.checkEveryMs ?? 250;
  let startedAt: string | undefined;
  let feeds: Partial<Record<Source, FeedState>> = {};
  const replay = replayProgress(opts.probe);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** Checks and requests take turns, so a check never ends a rebuild that started while it ran. */
  const exclusive = createSerial();

  async function check(): Promise<void> {
    if (!startedAt) return;
    let caughtUp = true;
    for (const source of SOURCES) {
      const position = await opts.store.cursors.load(streamOf(source));
      try {
        feeds[source] = (await replay.replayed(source, position)) ? 'caught-up' : 'behind';
      } catch {
        feeds[source] = 'unreachable';
      }
      if (feeds[source] !== 'caught-up') caughtUp = false;
    }
    if (caughtUp && (await opts.store.finishRebuild(startedAt))) {
      const { events } = await opts.store.progress();
      log.info({ events, startedAt, durationMs: Date.now() - Date.parse(startedAt) }, 'rebuild finished: the read model has caught up with every feed');
      startedAt = undefined;
    }
  }

  function schedule(): void {
    clearTimeout(timer);
    if (stopped || !startedAt) return;
    timer = setTimeout(() => {
      exclusive(check)
        .catch((error: unknown) => log.warn({ err: error }, 'rebuild progress check failed'))
        .finally(schedule);
    }, checkEveryMs);
    timer.unref();
  }

  async function status(): Promise<RebuildStatus> {
    const progress = await opts.store.progress();
    const sources = Object.fromEntries(
      SOURCES.map((s) => [s, { position: progress.positions[streamOf(s)] ?? 0, feed: feeds[s] ?? 'unknown' }]),
    ) as RebuildStatus['sources'];
    return { rebuilding: startedAt !== undefined, startedAt: startedAt ?? null, events: progress.events, sources };
  }

  return {
    /** Pick up a rebuild marked in the database (a new database, or one interrupted). */
    async start(): Promise<void> {
      stopped = false;
      startedAt = await opts.store.rebuildStartedAt();
      // The feeds' heads are asked by the first check: a producer still starting does not hold this start up.
      replay.restart();
      if (startedAt) log.info({ startedAt }, 'rebuilding the read model from position 0 of every feed');
      schedule();
    },
    request(): Promise<{ startedAt: string }> {
      return exclusive(async () => {
        await opts.consumers.stop();
        let started: string;
        try {
          started = await opts.store.startRebuild(new Date());
        } finally {
          if (!stopped) opts.consumers.start();
        }
        startedAt = started;
        feeds = {};
        replay.restart();
        log.info({ startedAt: started }, 'rebuild requested: read model emptied, replaying every feed from position 0');
        schedule();
        return { startedAt: started };
      });
    },
    status,
    async readiness(): Promise<void> {
      if (!startedAt) return;
      const s = await status();
      const where = SOURCES.map((source) => `${source} at ${s.sources[source].position} (${s.sources[source].feed})`).join(', ');
      throw new Error(`rebuilding from the event history since ${s.startedAt}: ${s.events} events applied; ${where}`);
    },
    /** Stop checking; waits for a check or request in progress. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await exclusive(async () => undefined);
    },
  };
}

export type Rebuilder = ReturnType<typeof createRebuilder>;
