// The frozen-gateway class of the wait bound (docs/chaos.md, runs 10–13): a checkout sent to a gateway
// instance the moment it froze sat there for the client's whole 8 s timeout before the other gateway saw it.
// The client's balancer now hedges: past the per-try delay the same keyed request also goes to another instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InstanceRing } from '@bazaar/kit';
import { createBalancer, type BalancerFigures } from '../src/balancer.ts';

/** A gateway stand-in: `answer` decides per request; 'freeze' accepts the request and never answers (a SIGSTOPped process). */
async function gateway(name: string, answer: (req: IncomingMessage, res: ServerResponse) => 'freeze' | void) {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let closedByClient = 0;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['idempotency-key'] ?? ''}`);
    res.on('close', () => {
      if (!res.writableFinished) closedByClient++;
    });
    req.resume();
    req.on('end', () => {
      if (answer(req, res) === 'freeze') return;
      if (!res.headersSent) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ from: name }));
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    closedByClient: () => closedByClient,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const zero = (): BalancerFigures => ({ requests: 0, status5xx: 0, timeouts: 0, networkErrors: 0, hedges: 0, hedgesWon: 0 });
const checkout = { method: 'POST', body: { card: 'x' }, headers: { 'idempotency-key': 'key-1' }, timeoutMs: 60_000 };

/** Wait (bounded) until `cond` holds; says what was awaited when it does not. */
async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('a keyed checkout stuck in a frozen gateway is answered by the other one, without waiting out its 60 s timeout', async (t) => {
  const frozen = await gateway('frozen', () => 'freeze');
  const live = await gateway('live', () => undefined);
  t.after(async () => Promise.all([frozen.close(), live.close()]));
  const figures = zero();
  const ring = new InstanceRing(2, { ejectMs: 60_000 });
  const balancer = createBalancer({ urls: [frozen.url, live.url], ring, hedgeAfterMs: 50, figures });

  const res = await balancer.send<{ from: string }>('/api/checkout', checkout);
  assert.equal(res?.status, 200);
  assert.equal(res?.body.from, 'live', 'the hedge to the live gateway answered');
  assert.deepEqual(frozen.seen, ['POST /api/checkout key-1'], 'the frozen gateway had the request first');
  assert.deepEqual(live.seen, ['POST /api/checkout key-1'], 'the same Idempotency-Key went to the live one');
  assert.deepEqual({ hedges: figures.hedges, hedgesWon: figures.hedgesWon, timeouts: figures.timeouts }, { hedges: 1, hedgesWon: 1, timeouts: 0 });
  await until(() => frozen.closedByClient() === 1, 'the request in the frozen gateway to be cancelled');
  assert.deepEqual(ring.ejected(), [0], 'the frozen gateway is out of rotation');
  const next = await balancer.send<{ from: string }>('/api/orders/o-1', { timeoutMs: 60_000 });
  assert.equal(next?.body.from, 'live', 'the next request goes to the live gateway only');
  assert.equal(frozen.seen.length, 1);
});

test('an answer before the hedge delay is the only request sent', async (t) => {
  const a = await gateway('a', () => undefined);
  const b = await gateway('b', () => undefined);
  t.after(async () => Promise.all([a.close(), b.close()]));
  const figures = zero();
  const balancer = createBalancer({ urls: [a.url, b.url], ring: new InstanceRing(2), hedgeAfterMs: 30_000, figures });
  const first = await balancer.send<{ from: string }>('/api/checkout', checkout);
  const second = await balancer.send<{ from: string }>('/api/checkout', checkout);
  assert.deepEqual([first?.body.from, second?.body.from], ['a', 'b'], 'round-robin');
  assert.equal(a.seen.length + b.seen.length, 2, 'no request sent twice');
  assert.equal(figures.hedges, 0);
});

test('a slow gateway that still answers first keeps its request; the hedge is cancelled and nobody is ejected', async (t) => {
  let releaseSlow: () => void = () => {};
  const slow = await gateway('slow', (_req, res) => {
    // Answers only when the hedge has reached the other gateway: the original is slow, not frozen.
    releaseSlow = () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ from: 'slow' }));
    };
    return 'freeze';
  });
  const hedgeTarget = await gateway('hedge', () => {
    releaseSlow();
    return 'freeze';
  });
  t.after(async () => Promise.all([slow.close(), hedgeTarget.close()]));
  const figures = zero();
  const ring = new InstanceRing(2);
  const balancer = createBalancer({ urls: [slow.url, hedgeTarget.url], ring, hedgeAfterMs: 50, figures });
  const res = await balancer.send<{ from: string }>('/api/checkout', checkout);
  assert.equal(res?.body.from, 'slow');
  assert.deepEqual({ hedges: figures.hedges, hedgesWon: figures.hedgesWon }, { hedges: 1, hedgesWon: 0 });
  await until(() => hedgeTarget.closedByClient() === 1, 'the hedge to be cancelled');
  assert.deepEqual(ring.ejected(), [], 'a gateway that answered stays in rotation');
});

test('hedge: false sends one request only, and a refused connection ejects that gateway', async (t) => {
  const live = await gateway('live', () => undefined);
  t.after(live.close);
  const closed = await gateway('gone', () => undefined);
  await closed.close(); // Its port now refuses connections.
  const figures = zero();
  const ring = new InstanceRing(2, { ejectMs: 60_000 });
  const balancer = createBalancer({ urls: [closed.url, live.url], ring, hedgeAfterMs: 10, figures });
  const res = await balancer.send('/api/cart', { timeoutMs: 5000 }, { hedge: false });
  assert.equal(res, undefined, 'the refused request is reported as no answer (the caller retries)');
  assert.equal(figures.networkErrors, 1);
  assert.deepEqual(ring.ejected(), [0]);
  const again = await balancer.send<{ from: string }>('/api/cart', { timeoutMs: 5000 });
  assert.equal(again?.body.from, 'live');
});
