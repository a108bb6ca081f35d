// What only the Redis cart store has to prove, beyond the CartStore contract in
// store.test.ts: atomic limits across connections, event-bound clears applied
// once, key layout and TTL, prefix isolation, and behaviour while Redis is away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AppError, SpanKind, inSpan } from '@bazaar/kit';
import { captureSpans, waitFor } from '@bazaar/kit/testing';
import { handleOnce } from '@bazaar/messaging';
import { MAX_LINES } from '../src/domain/cart.ts';
import { openCartDatabase, openRedisCartStore } from '../src/store/index.ts';
import { testRedis } from './redis.ts';

test('redis: many concurrent additions from two instances never exceed the line limit', async (t) => {
  const redis = await testRedis(t);
  const [a, b] = [await redis.open(), await redis.open()];
  // 120 different products at once, split over two connections (two cart instances).
  const results = await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? a : b).setQuantity('u', `p${i}`, 1)));
  assert.equal(results.filter((r) => r === 'set').length, MAX_LINES);
  assert.equal(results.filter((r) => r === 'cart-full').length, 120 - MAX_LINES);
  const lines = await a.getLines('u');
  assert.equal(lines.length, MAX_LINES);
  assert.equal(new Set(lines.map((l) => l.productId)).size, MAX_LINES, 'no line stored twice');
  assert.equal(await redis.admin.hlen(`${redis.keyPrefix}{u}:lines`), MAX_LINES);
  assert.equal(await redis.admin.zcard(`${redis.keyPrefix}{u}:order`), MAX_LINES);
  // The same product added concurrently is one line, at one position.
  const c = await redis.open({ maxLines: 3 });
  await Promise.all(Array.from({ length: 20 }, (_, i) => c.setQuantity('w', 'same', i + 1)));
  assert.equal((await c.getLines('w')).length, 1);
});

test('redis: an event-bound clear takes effect once per event id, however often or concurrently it is delivered', async (t) => {
  const redis = await testRedis(t);
  const store = await redis.open({ ttlSeconds: 600 });
  await store.setQuantity('u', 'a', 5);
  await store.setQuantity('u', 'b', 1);
  const ordered = [{ productId: 'a', quantity: 2 }, { productId: 'b', quantity: 1 }];
  await Promise.all([store.forEvent('e-1').removeOrdered('u', ordered), store.forEvent('e-1').removeOrdered('u', ordered)]);
  await store.forEvent('e-1').removeOrdered('u', ordered);
  assert.deepEqual(await store.getLines('u'), [{ productId: 'a', quantity: 3 }], 'e-1 applied exactly once');
  const marker = `${redis.keyPrefix}{u}:applied:e-1`;
  assert.equal(await redis.admin.exists(marker), 1);
  const ttl = await redis.admin.ttl(marker);
  assert.ok(ttl > 590 && ttl <= 600, `the marker expires with the cart (ttl ${ttl})`);
  await store.forEvent('e-2').removeOrdered('u', [{ productId: 'a', quantity: 1 }]);
  assert.deepEqual(await store.getLines('u'), [{ productId: 'a', quantity: 2 }], 'another event is another effect');
  // Without an event id removeOrdered is the plain contract operation: it applies every time.
  await store.removeOrdered('u', [{ productId: 'a', quantity: 1 }]);
  await store.removeOrdered('u', [{ productId: 'a', quantity: 1 }]);
  assert.deepEqual(await store.getLines('u'), []);
});

test('redis: with the inbox in the relational store, a crash between the Redis change and the inbox commit does not clear twice', async (t) => {
  const redis = await testRedis(t);
  const store = await redis.open();
  const db = await openCartDatabase({ dataDir: '', inMemory: true });
  t.after(() => db.close());
  await store.setQuantity('alice', 'lamp', 3);
  const event = { id: 'evt-crash', source: 'orders', type: 'orders.order-confirmed' };
  const effect = () => store.forEvent(event.id).removeOrdered('alice', [{ productId: 'lamp', quantity: 2 }]);

  await assert.rejects(
    handleOnce(db.db, event, async () => {
      await effect();
      throw new Error('process died before the inbox row committed');
    }),
    /process died/,
  );
  assert.equal((await db.db.selectFrom('inbox').selectAll().execute()).length, 0, 'the inbox transaction rolled back');
  assert.deepEqual(await store.getLines('alice'), [{ productId: 'lamp', quantity: 1 }], 'but Redis already changed');

  assert.equal(await handleOnce(db.db, event, effect), 'handled', 'the redelivery is new to the inbox');
  assert.deepEqual(await store.getLines('alice'), [{ productId: 'lamp', quantity: 1 }], 'and Redis ignores it: removed once');
  assert.equal(await handleOnce(db.db, event, effect), 'duplicate');
});

test('redis: keys live under the prefix with a TTL refreshed on every write; prefixes and odd user ids never collide', async (t) => {
  const redis = await testRedis(t);
  const store = await redis.open({ ttlSeconds: 1000 });
  const other = await redis.open({ keyPrefix: `${redis.keyPrefix}other:` });
  await store.setQuantity('alice', 'a', 1);
  await other.setQuantity('alice', 'z', 9);
  assert.deepEqual(await store.getLines('alice'), [{ productId: 'a', quantity: 1 }]);
  assert.deepEqual(await other.getLines('alice'), [{ productId: 'z', quantity: 9 }], 'same user, other prefix: another cart');

  const lines = `${redis.keyPrefix}{alice}:lines`;
  const order = `${redis.keyPrefix}{alice}:order`;
  const setAt = `${redis.keyPrefix}{alice}:set-at`;
  for (const key of [lines, order, setAt]) {
    const ttl = await redis.admin.ttl(key);
    assert.ok(ttl > 990 && ttl <= 1000, `${key} has the cart TTL (got ${ttl})`);
    await redis.admin.expire(key, 5);
  }
  await store.setQuantity('alice', 'b', 2);
  for (const key of [lines, order, setAt]) assert.ok((await redis.admin.ttl(key)) > 990, `a write refreshes ${key}'s TTL`);
  assert.deepEqual(await redis.admin.hgetall(setAt), { a: '1', b: '2' }, 'each line beside the revision it was last set at');
  await store.remove('alice', 'a');
  await store.remove('alice', 'b');
  assert.equal(await redis.admin.exists(lines, order, setAt), 0, 'an emptied cart leaves no keys behind');

  // Ids with the characters the key layout uses are encoded: no cart can reach another's keys.
  await store.setQuantity('x}:lines', 'p', 1);
  await store.setQuantity('x', 'q', 2);
  await store.setQuantity('{x}', 'r', 3);
  assert.deepEqual(await store.getLines('x'), [{ productId: 'q', quantity: 2 }]);
  assert.deepEqual(await store.getLines('x}:lines'), [{ productId: 'p', quantity: 1 }]);
  assert.deepEqual(await store.getLines('{x}'), [{ productId: 'r', quantity: 3 }]);
  assert.ok((await redis.keys()).every((k) => k.startsWith(redis.keyPrefix)));
});

test('redis: a line stored before lines kept their revision counts as set at 0: an order confirmation takes it out', async (t) => {
  const redis = await testRedis(t);
  const store = await redis.open();
  await store.setQuantity('u', 'a', 2);
  await store.setQuantity('u', 'b', 1);
  // As the cart wrote it before the set-at hash: no entry for the line.
  await redis.admin.del(`${redis.keyPrefix}{u}:set-at`);
  const { revision } = await store.snapshot('u');
  await store.forEvent('e-old').removeOrdered('u', [{ productId: 'a', quantity: 2 }], revision);
  assert.deepEqual(await store.snapshot('u'), { lines: [{ productId: 'b', quantity: 1 }], revision: revision + 1 });
});

/** A free local port (the OS picks it; closed again before use). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function startPrivateRedis(port: number) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

test('redis: start-up fails naming the server; a later outage is 503 UPSTREAM_UNAVAILABLE and the store recovers', async (t) => {
  const port = await freePort();
  const url = `redis://:s3cret@127.0.0.1:${port}`;
  const opts = { url, keyPrefix: 'bazaar:test:outage:', ttlSeconds: 60, maxLines: 5, commandTimeoutMs: 500 };
  await assert.rejects(openRedisCartStore(opts), (e: Error) => e.message.includes(`127.0.0.1:${port}`) && e.message.includes('REDIS_URL') && !e.message.includes('s3cret'));

  // A private server of our own, so killing it disturbs nobody else's tests.
  let server = startPrivateRedis(port);
  t.after(() => {
    server.kill('SIGKILL');
  });
  const noPassword = { ...opts, url: `redis://127.0.0.1:${port}` };
  let store: Awaited<ReturnType<typeof openRedisCartStore>> | undefined;
  await waitFor('the private redis-server to accept connections', async () => {
    store = await openRedisCartStore(noPassword).catch(() => undefined);
    return store !== undefined;
  });
  const opened = store as NonNullable<typeof store>;
  t.after(() => opened.close());
  assert.equal(await opened.setQuantity('u', 'a', 1), 'set');
  await opened.ping();

  server.kill('SIGKILL');
  await new Promise((resolve) => server.once('exit', resolve));
  await assert.rejects(opened.setQuantity('u', 'b', 1), (e: unknown) => e instanceof AppError && e.status === 503 && e.code === 'UPSTREAM_UNAVAILABLE');
  await assert.rejects(opened.ping(), 'readiness fails while Redis is away');

  server = startPrivateRedis(port);
  await waitFor('the store to reconnect after Redis came back', async () => (await opened.setQuantity('u', 'c', 1).catch(() => 'down')) === 'set', 10_000);
  assert.deepEqual(await opened.getLines('u'), [{ productId: 'c', quantity: 1 }], 'a fresh server (no persistence) holds only what came after');
});

test('redis: each store call is a CLIENT span of the request that made it, named after its script, without the URL\'s credentials', async (t) => {
  const captured = captureSpans();
  const redis = await testRedis(t);
  const store = await redis.open();
  await store.setQuantity('u', 'a', 2);
  captured.clear();
  await inSpan('GET /api/cart', { kind: SpanKind.SERVER }, async () => {
    await store.setQuantity('u', 'b', 1);
    await store.getLines('u');
  });
  const spans = captured.spans();
  const request = spans.find((s) => s.name === 'GET /api/cart');
  assert.ok(request);
  const calls = spans.filter((s) => s.attributes['db.system.name'] === 'redis');
  assert.deepEqual(calls.map((s) => s.name), ['redis EVALSHA cartSet', 'redis EVALSHA cartGet']);
  for (const s of calls) {
    assert.equal(s.kind, SpanKind.CLIENT);
    assert.equal(s.parentSpanId, request.spanId, `${s.name} is a child of the request`);
    assert.equal(s.attributes['server.address'], new URL(process.env.BAZAAR_TEST_REDIS_URL || 'redis://127.0.0.1:6379').hostname);
    assert.ok(!JSON.stringify(s.attributes).includes('@'), 'no credentials in the attributes');
  }
  // Outside any request (background work), nothing is recorded.
  captured.clear();
  await store.getLines('u');
  assert.deepEqual(captured.spans(), []);
});
