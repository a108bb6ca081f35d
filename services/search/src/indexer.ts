import { createSerial, startPeriodic, type Logger, type PeriodicLoop } from '@bazaar/kit';
import { replayProgress, type CursorStore, type Subscription } from '@bazaar/messaging';
import { ProductIndex, type SearchPage, type SearchParams } from './domain/product-index.ts';
import { CONSUMER, SOURCES, applyEvent, type Source } from './events.ts';
import type { Feeds } from './upstream/feeds.ts';
import type { SnapshotStore } from './store/snapshot.ts';

export interface SourceStatus {
  /** The last event of this source included in the index. */
  position: number;
  /** Reached the end of the source's history (during a rebuild). */
  caughtUp: boolean;
  /** Why the last look at the source failed, if it did. */
  error?: string;
}

export interface IndexerStatus {
  phase: 'starting' | 'rebuilding' | 'ready';
  /** Why the current or last rebuild started. */
  rebuildReason: string | null;
  products: number;
  /** Events applied since start or since the rebuild began. */
  eventsApplied: number;
  sources: Record<Source, SourceStatus>;
  lastSnapshotAt: string | null;
}

/** What the HTTP app needs from the read model. */
export interface SearchReadModel {
  search(params: SearchParams): SearchPage;
  status(): IndexerStatus;
  /** Throw the rebuild progress while the index is not complete yet. */
  checkReady(): void;
  /** Drop the index and the snapshot, and build again from position 0 of every feed. */
  rebuild(reason: string): Promise<void>;
}

export interface IndexerOptions {
  feeds: Feeds;
  snapshots: SnapshotStore;
  logger: Logger;
  /** How often the index is saved when it changed. */
  snapshotIntervalMs: number;
  /** How often a rebuild asks the feeds whether it has reached their end. Default 250 ms. */
  catchUpCheckMs?: number;
}

const streamOf = (source: Source) => `${source}/${CONSUMER}`;

/**
 * The live read model: loads the snapshot (or rebuilds from the event
 * history when there is none or it is unreadable), applies catalog and
 * inventory events as they come, and saves a snapshot periodically and on
 * stop. Snapshot = index + feed positions taken at one instant, so after a
 * crash the events since the last snapshot are simply applied again.
 */
export function createIndexer(opts: IndexerOptions) {
  const log = opts.logger.child({ component: 'indexer' });
  const catchUpCheckMs = opts.catchUpCheckMs ?? 250;
  let index = ProductIndex.empty();
  const positions = new Map<string, number>();
  let phase: IndexerStatus['phase'] = 'starting';
  let rebuildReason: string | null = null;
  let caughtUp = new Set<Source>();
  /** Each source's history, as far as its feed held it when this rebuild first asked (not "nothing after": under load that never comes). */
  const replay = replayProgress(opts.feeds);
  let sourceErrors = new Map<Source, string>();
  let eventsApplied = 0;
  /** Bumped by each rebuild, so an answer about the previous one is not taken for this one. */
  let generation = 0;
  /** Counts changes (events, positions); the snapshot is written only when it moved. */
  let changes = 0;
  let savedChanges = 0;
  let lastSnapshotAt: string | null = null;
  let subscriptions: Subscription[] = [];
  let snapshotLoop: PeriodicLoop | undefined;
  let catchUpTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** Rebuilds and stop run one at a time. */
  const lifecycle = createSerial();

  // Positions live in memory and are saved with the snapshot, never on their own:
  // a position ahead of the saved index would skip events after a crash.
  const cursors: CursorStore = {
    load: async (stream) => positions.get(stream) ?? 0,
    save: async (stream, position) => {
      positions.set(stream, position);
      changes += 1;
    },
  };

  function subscribe(): void {
    const transport = opts.feeds.transport(cursors);
    subscriptions = SOURCES.map((source) =>
      transport.subscribe({
        source,
        consumer: CONSUMER,
        handle: async (event) => {
          const outcome = applyEvent(index, event);
          if (outcome === 'malformed') log.error({ eventId: event.id, type: event.type, source }, 'event does not match its contract; skipped');
          if (outcome !== 'applied') return;
          eventsApplied += 1;
          changes += 1;
        },
      }),
    );
  }

  async function unsubscribe(): Promise<void> {
    const current = subscriptions;
    subscriptions = [];
    await Promise.all(current.map((s) => s.stop()));
  }

  async function snapshotNow(): Promise<void> {
    const at = changes;
    // Index and positions are read in one synchronous step, so they match.
    const snapshot = { takenAt: new Date().toISOString(), cursors: Object.fromEntries(positions), state: index.toState() };
    await opts.snapshots.save(snapshot);
    savedChanges = at;
    lastSnapshotAt = snapshot.takenAt;
    log.debug({ products: snapshot.state.products.length, cursors: snapshot.cursors }, 'snapshot saved');
  }

  /** Save a snapshot every interval while there are unsaved changes to a complete index. */
  function startSnapshots(): PeriodicLoop {
    return startPeriodic({
      everyMs: opts.snapshotIntervalMs,
      pass: async () => {
        if (phase === 'ready' && changes !== savedChanges) await snapshotNow();
      },
      onError: (error) => log.error({ err: error, location: opts.snapshots.location }, 'snapshot not saved; will retry'),
    });
  }

  /** During a rebuild: ask each source whether our position has reached its history. */
  async function checkCaughtUp(): Promise<void> {
    const asked = generation;
    for (const source of SOURCES) {
      if (caughtUp.has(source)) continue;
      try {
        const replayed = await replay.replayed(source, positions.get(streamOf(source)) ?? 0);
        if (asked !== generation) return;
        sourceErrors.delete(source);
        if (replayed) caughtUp.add(source);
      } catch (error) {
        if (asked !== generation) return;
        sourceErrors.set(source, (error as Error).message);
      }
    }
    if (phase === 'rebuilding' && caughtUp.size === SOURCES.length) {
      // Saved before answering ready, so a restart right after does not rebuild again.
      await snapshotNow().catch((error: unknown) => log.error({ err: error }, 'snapshot after rebuild not saved; will retry'));
      if (asked !== generation) return;
      phase = 'ready';
      log.info({ products: index.productCount, eventsApplied, positions: Object.fromEntries(positions) }, 'index rebuilt: caught up with every feed');
    }
  }

  function scheduleCatchUp(): void {
    clearTimeout(catchUpTimer);
    if (stopped || phase !== 'rebuilding') return;
    catchUpTimer = setTimeout(() => {
      void checkCaughtUp().finally(scheduleCatchUp);
    }, catchUpCheckMs);
    catchUpTimer.unref();
  }

  function beginRebuild(reason: string): void {
    generation += 1;
    index = ProductIndex.empty();
    positions.clear();
    caughtUp = new Set();
    replay.restart();
    sourceErrors = new Map();
    eventsApplied = 0;
    phase = 'rebuilding';
    rebuildReason = reason;
    log.warn({ reason }, 'rebuilding the index from the event history');
    subscribe();
    scheduleCatchUp();
  }

  function progress(): string {
    const sources = SOURCES.map((source) => {
      const state = caughtUp.has(source) ? 'caught up' : 'catching up';
      const error = sourceErrors.get(source);
      return `${source} at position ${positions.get(streamOf(source)) ?? 0} (${state}${error ? `; unreachable: ${error}` : ''})`;
    });
    return `rebuilding (${rebuildReason ?? 'unknown reason'}): ${eventsApplied} events applied, ${index.productCount} products indexed; ${sources.join(', ')}`;
  }

  const model: SearchReadModel = {
    search: (params) => index.search(params),

    status: () => ({
      phase,
      rebuildReason,
      products: index.productCount,
      eventsApplied,
      sources: Object.fromEntries(
        SOURCES.map((source) => {
          const error = sourceErrors.get(source);
          return [source, { position: positions.get(streamOf(source)) ?? 0, caughtUp: phase === 'ready' || caughtUp.has(source), ...(error ? { error } : {}) }];
        }),
      ) as Record<Source, SourceStatus>,
      lastSnapshotAt,
    }),

    checkReady(): void {
      if (phase === 'starting') throw new Error('loading the snapshot');
      // Once caught up, readiness no longer depends on the producers: a down catalog means a stale index, not no index.
      if (phase === 'rebuilding') throw new Error(progress());
    },

    rebuild(reason) {
      return lifecycle(async () => {
        if (stopped) return;
        await unsubscribe();
        await opts.snapshots.remove();
        beginRebuild(reason);
      });
    },
  };

  return {
    ...model,

    /** Load the snapshot or start a rebuild, then follow the feeds. */
    async start(): Promise<void> {
      const loaded = await opts.snapshots.load();
      if (loaded.kind === 'ok') {
        try {
          index = ProductIndex.fromState(loaded.snapshot.state);
          for (const [stream, position] of Object.entries(loaded.snapshot.cursors)) positions.set(stream, position);
          phase = 'ready';
          lastSnapshotAt = loaded.snapshot.takenAt;
          log.info({ products: index.productCount, positions: loaded.snapshot.cursors, takenAt: loaded.snapshot.takenAt }, 'index loaded from snapshot; resuming the feeds');
          subscribe();
        } catch (error) {
          index = ProductIndex.empty();
          beginRebuild(`snapshot unreadable: ${(error as Error).message}`);
        }
      } else {
        beginRebuild(loaded.kind === 'missing' ? 'no snapshot' : `snapshot unreadable: ${loaded.reason}`);
      }
      snapshotLoop = startSnapshots();
    },

    /** Stop following the feeds and save a last snapshot (only of a complete index). */
    stop(): Promise<void> {
      return lifecycle(async () => {
        stopped = true;
        await snapshotLoop?.stop();
        clearTimeout(catchUpTimer);
        await unsubscribe();
        if (phase === 'ready' && changes !== savedChanges) await snapshotNow();
        await opts.feeds.close();
      });
    },

    /** Save a snapshot now, if the index is complete (tests, operators). */
    async snapshot(): Promise<void> {
      if (phase === 'ready') await snapshotNow();
    },
  };
}

export type Indexer = ReturnType<typeof createIndexer>;
