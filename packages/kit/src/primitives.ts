/**
 * Small async primitives every service needs and none should write again:
 * a backoff formula, a serial queue, a periodic loop and a seeded PRNG (ADR 0052).
 */

/** How a retry delay grows: doubling from `baseMs`, capped at `maxMs`, with optional jitter. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /**
   * 'none': exact; 'equal': half fixed, half random (never under half the
   * delay); a number f: ±f of the delay (0.2 → 80 % to 120 %). Default 'none'.
   */
  jitter?: 'none' | 'equal' | number;
}

/** Delay before retry number `attempt` (1-based): `baseMs`·2^(attempt-1), capped at `maxMs`, jittered as the policy says. */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(30, Math.max(0, attempt - 1));
  const plain = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jitter = policy.jitter ?? 'none';
  if (jitter === 'none') return plain;
  if (jitter === 'equal') return Math.round(plain / 2 + (Math.random() * plain) / 2);
  return Math.round(plain * (1 - jitter + Math.random() * 2 * jitter));
}

/**
 * A seeded pseudo-random generator in [0, 1) (mulberry32): the same seed gives
 * the same sequence on every run and machine (demo data, benchmarks). Not for secrets.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs async tasks one at a time, in call order; a failing task rejects its own promise and does not stop the next. */
export type Serial = <T>(task: () => Promise<T>) => Promise<T>;

/** A new serial queue (a promise-chain mutex): `serial(() => work())` waits for every task queued before it. */
export function createSerial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const next = tail.then(task, task);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** A background loop started by startPeriodic. */
export interface PeriodicLoop {
  /** Run a pass now (after the one in progress, if any), then keep the period from its end. */
  kick(): void;
  /** Run a pass now (after the one in progress, if any) and wait until it has ended. */
  runNow(): Promise<void>;
  /** Stop scheduling and wait for the pass in progress. */
  stop(): Promise<void>;
}

/**
 * Run `pass` every `everyMs` (the first one `everyMs` after the start), in the
 * background: passes never overlap (the next is scheduled when one ends), a
 * failing pass goes to `onError` and the next one tries again, and the timer
 * does not keep the process alive.
 */
export function startPeriodic(opts: { everyMs: number; pass: () => Promise<void>; onError: (error: unknown) => void }): PeriodicLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const schedule = () => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(run, opts.everyMs);
    timer.unref();
  };

  function run(): void {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = (async () => {
      do {
        again = false;
        try {
          await opts.pass();
        } catch (error) {
          opts.onError(error);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
      schedule();
    });
  }

  schedule();
  return {
    kick() {
      if (!stopped) run();
    },
    async runNow() {
      if (stopped) return;
      run();
      while (running) await running;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (running) await running;
    },
  };
}

/** Where a page of a newest-first list ends: the last item's sort key (a time) and its unique id. */
export interface PagePosition {
  key: string;
  id: string;
}

/**
 * Opaque page cursors for lists paged by (time, id), newest first: base64url
 * of `<tag>:<key>|<id>`. Paging by that unique, immutable pair means an item
 * added between two pages never shifts them; the tag keeps one list's cursor
 * from being taken for another's. decode() answers undefined for anything it did not encode.
 */
export function positionCursor(tag: string) {
  const pattern = new RegExp(`^${tag}:([^|]+)\\|(.+)$`);
  return {
    encode: (at: PagePosition): string => Buffer.from(`${tag}:${at.key}|${at.id}`, 'utf8').toString('base64url'),
    decode(cursor: string): PagePosition | undefined {
      if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
      const match = pattern.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
      return match ? { key: match[1] as string, id: match[2] as string } : undefined;
    },
  };
}
