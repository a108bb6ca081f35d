import type { Rate } from '../config.ts';

/** The outcome of taking tokens from a bucket, with what the RateLimit-* headers report. */
export interface Decision {
  allowed: boolean;
  limit: number;
  /** Whole tokens left. */
  remaining: number;
  /** Until the bucket is full again. */
  resetMs: number;
  /** Until `cost` tokens are available (0 when allowed). */
  retryAfterMs: number;
}

/** Fill a bucket holding `tokens` at `at` up to `now`, take `cost` if there are enough, and describe it. */
export function takeFrom(tokens: number, rate: Rate, cost: number, elapsedMs: number): { tokens: number; decision: Decision } {
  const perMs = rate.capacity / rate.periodMs;
  let level = Math.min(rate.capacity, tokens + Math.max(0, elapsedMs) * perMs);
  const allowed = cost <= 0 || level >= cost;
  if (allowed) level = Math.min(rate.capacity, level - cost);
  return { tokens: level, decision: describe(level, rate, cost, allowed) };
}

/** The decision for a bucket at `level` tokens. */
export function describe(level: number, rate: Rate, cost: number, allowed: boolean): Decision {
  const perMs = rate.capacity / rate.periodMs;
  return {
    allowed,
    limit: rate.capacity,
    remaining: Math.max(0, Math.floor(level)),
    resetMs: Math.ceil((rate.capacity - level) / perMs),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - level) / perMs),
  };
}

interface Bucket {
  tokens: number;
  at: number;
  /** When this bucket is full again and can be forgotten. */
  fullAt: number;
}

/**
 * Token buckets in this process. A bucket that has refilled completely is
 * the same as no bucket, so a periodic sweep drops those and memory stays
 * bounded by the number of recently active clients.
 */
export class MemoryBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly maxBuckets: number;

  constructor(opts: { sweepEveryMs?: number; maxBuckets?: number } = {}) {
    this.maxBuckets = opts.maxBuckets ?? 500_000;
    this.sweeper = setInterval(() => this.sweep(Date.now()), opts.sweepEveryMs ?? 10_000);
    this.sweeper.unref();
  }

  /** Take `cost` tokens from the bucket `key` (a negative cost gives tokens back). */
  take(key: string, rate: Rate, cost = 1, now = Date.now()): Decision {
    const bucket = this.buckets.get(key);
    const { tokens, decision } = takeFrom(bucket ? bucket.tokens : rate.capacity, rate, cost, bucket ? now - bucket.at : 0);
    const fullAt = now + decision.resetMs;
    if (bucket) {
      bucket.tokens = tokens;
      bucket.at = now;
      bucket.fullAt = fullAt;
    } else if (tokens < rate.capacity) {
      if (this.buckets.size >= this.maxBuckets) this.evict(now);
      this.buckets.set(key, { tokens, at: now, fullAt });
    }
    return decision;
  }

  /** Buckets currently held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  /** Drop buckets that have refilled. */
  sweep(now: number): void {
    for (const [key, bucket] of this.buckets) if (bucket.fullAt <= now) this.buckets.delete(key);
  }

  /** Make room: refilled buckets first, else the oldest one (fails open for that client, never grows without bound). */
  private evict(now: number): void {
    this.sweep(now);
    if (this.buckets.size < this.maxBuckets) return;
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
