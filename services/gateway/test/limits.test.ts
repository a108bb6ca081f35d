// Rate limits: token-bucket arithmetic, buckets shared through a real Redis,
// fallback when Redis is gone, and the limits as clients see them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { testLogger } from '@bazaar/kit/testing';
import { MemoryBuckets, takeFrom } from '../src/limits/bucket.ts';
import { RateLimiter } from '../src/limits/limiter.ts';
import { RedisBuckets } from '../src/limits/redis.ts';
import { startGateway, table, upstreamServer } from './helpers.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const perSecond = (capacity: number) => ({ capacity, periodMs: 1000 });

test('token bucket: a burst of capacity, then refill at capacity per period', () => {
  const buckets = new MemoryBuckets();
  const rate = { capacity: 3, periodMs: 3000 };
  const t0 = 1_000_000;
  for (let i = 0; i < 3; i++) assert.equal(buckets.take('k', rate, 1, t0).allowed, true);
  const denied = buckets.take('k', rate, 1, t0);
  assert.equal(denied.allowed, false);
  assert.equal(denied.remaining, 0);
  assert.equal(denied.retryAfterMs, 1000, 'one token per second comes back');
  assert.equal(denied.resetMs, 3000);
  assert.equal(buckets.take('k', rate, 1, t0 + 999).allowed, false);
  assert.equal(buckets.take('k', rate, 1, t0 + 1000).allowed, true);
  assert.equal(buckets.take('other', rate, 1, t0).remaining, 2, 'buckets are per key');
  // Giving back never overfills.
  assert.equal(takeFrom(3, rate, -1, 0).tokens, 3);
  buckets.close();
});

test('refilled buckets are forgotten, so memory follows active clients only', () => {
  const buckets = new MemoryBuckets({ sweepEveryMs: 60_000 });
  const rate = perSecond(10);
  for (let i = 0; i < 100; i++) buckets.take(`ip:${i}`, rate, 1, 0);
  assert.equal(buckets.size, 100);
  buckets.sweep(200);
  assert.equal(buckets.size, 0);
  const bounded = new MemoryBuckets({ maxBuckets: 10 });
  for (let i = 0; i < 50; i++) bounded.take(`ip:${i}`, rate, 1, 0);
  assert.ok(bounded.size <= 10);
  buckets.close();
  bounded.close();
});

test('Redis buckets are shared: two gateway instances enforce one limit', async (t) => {
  const prefix = `bazaar-test:${randomUUID()}:`;
  const one = new RedisBuckets({ url: REDIS_URL, prefix });
  const two = new RedisBuckets({ url: REDIS_URL, prefix });
  t.after(async () => {
    try {
      const keys = await one.client.keys(`${prefix}*`);
      if (keys.length > 0) await one.client.del(...keys);
    } finally {
      await one.close();
      await two.close();
    }
  });
  await Promise.all([one.ready(), two.ready()]);
  const rate = { capacity: 4, periodMs: 60_000 };
  const results = await Promise.all([one.take('u:1', rate), two.take('u:1', rate), one.take('u:1', rate), two.take('u:1', rate)]);
  assert.ok(results.every((d) => d.allowed));
  const fifth = await two.take('u:1', rate);
  assert.equal(fifth.allowed, false);
  assert.equal(fifth.limit, 4);
  assert.ok(fifth.retryAfterMs > 14_000 && fifth.retryAfterMs <= 15_000, `retry after ${fifth.retryAfterMs} ms`);
  assert.equal((await one.take('u:1', rate, -1)).allowed, true, 'giving a token back');
  assert.equal((await two.take('u:1', rate)).allowed, true);
  assert.equal((await one.take('u:2', rate)).remaining, 3, 'another subject has its own bucket');
  const ttl = await one.client.pttl(`${prefix}u:2`);
  assert.ok(ttl > 0 && ttl <= 16_000, 'buckets expire once refilled');
});

test('Redis unreachable: limits fall back to this instance instead of failing requests', async (t) => {
  const redis = new RedisBuckets({ url: 'redis://127.0.0.1:1', prefix: 'x:', commandTimeoutMs: 100 });
  const limiter = new RateLimiter({ classes: new Map([['read', perSecond(2)]]), login: { account: perSecond(1), ip: perSecond(1) }, redis, logger: testLogger() });
  t.after(() => limiter.close());
  const first = await limiter.take('read', 'ip:1');
  assert.equal(first?.allowed, true);
  assert.equal((await limiter.take('read', 'ip:1'))?.allowed, true);
  assert.equal((await limiter.take('read', 'ip:1'))?.allowed, false, 'still limited, locally');
  assert.equal(limiter.fallbacks, 3);
  assert.equal(limiter.take('unlimited-class', 'ip:1'), undefined);
});

test('through the gateway: 429 problem+json with Retry-After and RateLimit headers, per user and per IP', async (t) => {
  const up = await upstreamServer((_req, res) => res.end('{}'));
  const gw = await startGateway({ upstreams: table({ catalog: up.url }), rateLimits: new Map([['read', { capacity: 3, periodMs: 60_000 }]]) });
  t.after(async () => {
    await gw.close();
    await up.close();
  });
  const get = (token?: string) => request(`${gw.url}/api/catalog/products`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const first = await get();
  await first.body.dump();
  assert.equal(first.headers['ratelimit-limit'], '3');
  assert.equal(first.headers['ratelimit-remaining'], '2');
  assert.equal(first.headers['ratelimit-reset'], '20');
  await (await get()).body.dump();
  await (await get()).body.dump();
  const limited = await get();
  assert.equal(limited.statusCode, 429);
  assert.match(String(limited.headers['content-type']), /application\/problem\+json/);
  assert.equal(((await limited.body.json()) as { code: string }).code, 'RATE_LIMITED');
  assert.equal(limited.headers['retry-after'], '20');
  assert.equal(up.seen.length, 3, 'the fourth never reached the service');
  // A signed-in user has a bucket of their own, whatever the IP.
  const user = await get(await gw.keys.sign({ sub: 'u-1' }));
  assert.equal(user.statusCode, 200);
  await user.body.dump();
});

test('login: failures are limited per account and per IP; successes do not count', async (t) => {
  const identity = await upstreamServer((_req, res, body) => {
    const { password } = JSON.parse(body) as { password: string };
    res.writeHead(password === 'right' ? 200 : 401, { 'content-type': 'application/json' }).end('{}');
  });
  const gw = await startGateway({
    upstreams: table({ identity: identity.url }),
    loginLimits: { account: { capacity: 3, periodMs: 60_000 }, ip: { capacity: 5, periodMs: 60_000 } },
  });
  t.after(async () => {
    await gw.close();
    await identity.close();
  });
  const login = async (email: string, password: string) => {
    const res = await request(`${gw.url}/api/identity/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const body = (await res.body.json()) as { code?: string };
    return { status: res.statusCode, code: body.code, retryAfter: res.headers['retry-after'] };
  };
  for (let i = 0; i < 5; i++) assert.equal((await login('ok@example.test', 'right')).status, 200, 'successes are never limited');
  for (let i = 0; i < 3; i++) assert.equal((await login('Victim@example.test', 'guess')).status, 401);
  const blocked = await login(' victim@example.TEST', 'right');
  assert.equal(blocked.status, 429, 'the account is locked for a while, whatever the spelling of its email');
  assert.equal(blocked.code, 'LOGIN_THROTTLED');
  assert.equal(blocked.retryAfter, '20');
  // Per IP: two more failures on other accounts exhaust the IP's five.
  assert.equal((await login('other1@example.test', 'guess')).status, 401);
  assert.equal((await login('other2@example.test', 'guess')).status, 429, 'the IP has used its failures');
  const forwarded = identity.seen.at(-1);
  assert.equal(forwarded?.body, JSON.stringify({ email: 'other1@example.test', password: 'guess' }), 'the buffered body is forwarded unchanged');
});

test('two gateways sharing Redis enforce one limit for a client', async (t) => {
  const prefix = `bazaar-test:${randomUUID()}:`;
  const up = await upstreamServer((_req, res) => res.end('{}'));
  const redisOne = new RedisBuckets({ url: REDIS_URL, prefix });
  const redisTwo = new RedisBuckets({ url: REDIS_URL, prefix });
  await Promise.all([redisOne.ready(), redisTwo.ready()]);
  const rateLimits = new Map([['read', { capacity: 3, periodMs: 60_000 }]]);
  const one = await startGateway({ upstreams: table({ catalog: up.url }), rateLimits, redis: redisOne });
  const two = await startGateway({ upstreams: table({ catalog: up.url }), rateLimits, redis: redisTwo });
  t.after(async () => {
    try {
      const keys = await redisOne.client.keys(`${prefix}*`);
      if (keys.length > 0) await redisOne.client.del(...keys);
    } finally {
      await one.close();
      await two.close();
      await up.close();
    }
  });
  const statuses: number[] = [];
  for (const gw of [one, two, one, two]) {
    const res = await request(`${gw.url}/api/catalog/categories`);
    await res.body.dump();
    statuses.push(res.statusCode);
  }
  assert.deepEqual(statuses, [200, 200, 200, 429]);
});

test("one user's burst is bounded per service at the edge (429 past the in-flight bound), never reaching or tripping the upstream; other users pass (issue 11)", async (t) => {
  const pending: (() => void)[] = [];
  const up = await upstreamServer((_req, res) => pending.push(() => res.end('{}')));
  const gw = await startGateway({ upstreams: table({ catalog: up.url }), userInFlight: 3, timeoutMs: 5000 });
  t.after(async () => {
    for (const release of pending) release();
    await gw.close();
    await up.close();
  });
  const burster = await gw.keys.sign({ sub: 'u-burst' });
  const other = await gw.keys.sign({ sub: 'u-other' });
  const get = (token: string) => request(`${gw.url}/api/catalog/products`, { headers: { authorization: `Bearer ${token}` } });
  // Which three of the ten the gateway admits depends on the order they arrive in, not on the order they were sent.
  const answered: Awaited<ReturnType<typeof get>>[] = [];
  const burst = Array.from({ length: 10 }, () => get(burster).then((res) => (answered.push(res), res)));
  await until('three requests to reach the upstream', 10_000, () => (pending.length >= 3 ? true : undefined));
  // The other seven are refused by the gateway itself, while the three are still held at the upstream.
  await until('the seven refusals', 10_000, () => (answered.length >= 7 ? true : undefined));
  const refused = answered.slice(0, 7);
  for (const res of refused) {
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(((await res.body.json()) as { code: string }).code, 'RATE_LIMITED');
  }
  assert.equal(up.seen.length, 3, 'only the allowed ones reached the service');
  // Another user is not affected.
  const theirs = get(other);
  await until('the other user to reach the upstream', 10_000, () => (pending.length >= 4 ? true : undefined));
  for (const release of pending.splice(0)) release();
  assert.equal((await theirs).statusCode, 200);
  const admitted = (await Promise.all(burst)).filter((res) => !refused.includes(res));
  assert.equal(admitted.length, 3);
  for (const res of admitted) {
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }
  // Slots are given back: the burster may send again.
  const again = get(burster);
  await until('the next request to reach the upstream', 5000, () => (pending.length >= 1 ? true : undefined));
  for (const release of pending.splice(0)) release();
  assert.equal((await again).statusCode, 200);
});

/** Poll `probe` every 10 ms until it returns something; fail naming `what` after `ms`. */
async function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
