// Redis for cart tests: one unique key prefix per test, its keys deleted when
// the test ends. Redis must be reachable: a test that needs it fails, saying
// how to start it, rather than skipping (CI starts it).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AfterHook } from '@bazaar/store/testing';
import { MAX_LINES } from '../src/domain/cart.ts';
import { openRedisCartStore, type RedisCartStore } from '../src/store/index.ts';

/** The server tests use: BAZAAR_TEST_REDIS_URL, or the local default. */
export const TEST_REDIS_URL = process.env.BAZAAR_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const HOW_TO_START =
  'Cart store tests run on Redis as well as SQLite and PostgreSQL: start it ' +
  '(redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no) or set BAZAAR_TEST_REDIS_URL.';

export interface TestRedis {
  /** `bazaar:test:<pid>:<random>:`, used by no other run. */
  keyPrefix: string;
  /** A plain client for looking at keys the store wrote. */
  admin: Redis;
  /** Every key under this test's prefix, sorted. */
  keys(): Promise<string[]>;
  /** Open a cart store on this test's prefix (closed when the test ends). */
  open(opts?: { maxLines?: number; ttlSeconds?: number; keyPrefix?: string }): Promise<RedisCartStore>;
}

/** Connect to the test Redis for one test; its keys and connections are gone when the test ends. */
export async function testRedis(t: AfterHook): Promise<TestRedis> {
  const keyPrefix = `bazaar:test:${process.pid}:${randomBytes(4).toString('hex')}:`;
  const admin = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
  } catch (error) {
    admin.disconnect();
    throw new Error(`Redis is not reachable at ${TEST_REDIS_URL} (${(error as Error).message}). ${HOW_TO_START}`, { cause: error });
  }
  const keysUnder = async (prefix: string): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found.sort();
  };
  const prefixes = new Set([keyPrefix]);
  const stores: RedisCartStore[] = [];
  // After the test's own cleanup (hooks run in the order registered; re-registering
  // from a hook puts this last): close the stores, then delete every key written.
  t.after(() => t.after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    for (const prefix of prefixes) {
      const keys = await keysUnder(prefix);
      if (keys.length > 0) await admin.del(...keys);
    }
    await admin.quit();
  }));
  return {
    keyPrefix,
    admin,
    keys: () => keysUnder(keyPrefix),
    async open(opts = {}) {
      const prefix = opts.keyPrefix ?? keyPrefix;
      prefixes.add(prefix);
      const store = await openRedisCartStore({ url: TEST_REDIS_URL, keyPrefix: prefix, ttlSeconds: opts.ttlSeconds ?? 3600, maxLines: opts.maxLines ?? MAX_LINES });
      stores.push(store);
      return store;
    },
  };
}
