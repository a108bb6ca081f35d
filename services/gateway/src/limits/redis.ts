import { Redis } from 'ioredis';
import type { Rate } from '../config.ts';
import { describe, type Decision } from './bucket.ts';

/**
 * The token bucket as one atomic script, timed by Redis's own clock so
 * gateway instances with skewed clocks still share one bucket correctly.
 * Returns {allowed, tokens as text} (Lua numbers would be truncated to integers).
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = capacity; at = now end
local perMs = capacity / period
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local allowed = 0
if cost <= 0 or tokens >= cost then
  tokens = math.min(capacity, tokens - cost)
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 1000)
return { allowed, tostring(tokens) }
`;

interface TakeCommand {
  bucketTake(key: string, capacity: number, periodMs: number, cost: number): Promise<[number, string]>;
}

/** Token buckets in Redis, shared by every gateway instance using the same REDIS_URL and prefix. */
export class RedisBuckets {
  readonly client: Redis & TakeCommand;
  private readonly prefix: string;

  constructor(opts: { url: string; prefix: string; commandTimeoutMs?: number }) {
    this.prefix = opts.prefix;
    const client = new Redis(opts.url, {
      // Commands issued in the same tick go out as one pipeline: one round trip for many requests.
      enableAutoPipelining: true,
      // Fail fast while disconnected; the caller falls back to local buckets.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 250,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    client.defineCommand('bucketTake', { numberOfKeys: 1, lua: TAKE });
    // Errors surface on each command; an 'error' listener keeps them from crashing the process.
    client.on('error', () => undefined);
    this.client = client as Redis & TakeCommand;
  }

  /** Take `cost` tokens from the bucket `key` (negative gives back). Rejects when Redis cannot answer. */
  async take(key: string, rate: Rate, cost = 1): Promise<Decision> {
    const [allowed, tokens] = await this.client.bucketTake(this.prefix + key, rate.capacity, rate.periodMs, cost);
    return describe(Number(tokens), rate, cost, allowed === 1);
  }

  /** Remember `key` for `ttlMs` (e.g. a known-good login address). */
  async mark(key: string, ttlMs: number): Promise<void> {
    await this.client.set(this.prefix + key, '1', 'PX', ttlMs);
  }

  /** Whether `key` is remembered. */
  async marked(key: string): Promise<boolean> {
    return (await this.client.exists(this.prefix + key)) === 1;
  }

  /** Resolves once connected (until then, takes fail and the caller limits locally). */
  async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => this.client.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
