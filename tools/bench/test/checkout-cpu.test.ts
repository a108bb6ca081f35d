import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkoutsWithCpu, describeAnswers, outcome, type CheckoutFigures, type CheckoutIo, type CheckoutOptions } from '../src/checkout.ts';

/** A fake system whose processes' CPU counters move as the bench's calls would move them. */
function fakeIo() {
  const counters = new Map([['identity', 0], ['orders', 0], ['reports', 0]]);
  const add = (name: string, ms: number) => counters.set(name, (counters.get(name) ?? 0) + ms);
  const calls: { tokens?: string[] }[] = [];
  const io: CheckoutIo = {
    // A sign-up hashes a password: identity's CPU.
    shoppers: async (_url, n) => {
      add('identity', 80 * n);
      return Array.from({ length: n }, (_, i) => `token-${i}`);
    },
    checkouts: async (_url, count, opts: CheckoutOptions) => {
      calls.push({ ...(opts.tokens ? { tokens: opts.tokens } : {}) });
      add('orders', 10 * count);
      return { checkouts: count, confirmed: count, cartChanged: 0, unconfirmed: {}, inFlight: opts.inFlight ?? 1, elapsedMs: 1, confirmedPerS: 1, p50: 1, p99: 1 } satisfies CheckoutFigures;
    },
    cpu: () => new Map(counters),
    // The read model takes the events in while the window is still open.
    drain: async () => {
      add('reports', 3);
    },
  };
  return { io, calls };
}

const processes = [{ name: 'identity', pid: 1 }, { name: 'orders', pid: 2 }, { name: 'reports', pid: 3 }];

test("a sweep step's CPU is the checkouts' and the read models' after them, not the shoppers' sign-up (regression: identity 23-35 ms per checkout at 16-64 in flight)", async () => {
  const { io, calls } = fakeIo();
  const { figures, cpuMs } = await checkoutsWithCpu('http://gw', 40, { inFlight: 16, processes }, io);
  assert.equal(figures.confirmed, 40);
  assert.equal(cpuMs.get('identity'), 0);
  assert.equal(cpuMs.get('orders'), 400);
  assert.equal(cpuMs.get('reports'), 3);
  // The checkouts run as the shoppers signed up beforehand, one per lane.
  assert.equal(calls[0]?.tokens?.length, 16);
});

test('shoppers given by the caller are used as they are: no sign-up at all', async () => {
  const { io, calls } = fakeIo();
  const { cpuMs } = await checkoutsWithCpu('http://gw', 8, { inFlight: 2, tokens: ['a', 'b'], processes }, io);
  assert.deepEqual(calls[0]?.tokens, ['a', 'b']);
  assert.equal(cpuMs.get('identity'), 0);
});

test("a checkout that was not confirmed is told by its status and the order's status or the error's code", () => {
  assert.equal(outcome(202, { status: 'PENDING' }), '202 PENDING');
  assert.equal(outcome(200, { status: 'CANCELLED' }), '200 CANCELLED');
  assert.equal(outcome(503, { code: 'UPSTREAM_UNAVAILABLE' }), '503 UPSTREAM_UNAVAILABLE');
  assert.equal(outcome(500, {}), '500');
  assert.equal(outcome(502, null), '502');
  assert.equal(outcome(429, { status: 429, code: 'RATE_LIMITED' }), '429 RATE_LIMITED', 'a numeric status in a problem body is not the order\'s');
});

test("the sweep's confirmed column says what the other answers were, most frequent first", () => {
  assert.equal(describeAnswers({ cartChanged: 0, unconfirmed: {} }), '');
  assert.equal(describeAnswers({ cartChanged: 27, unconfirmed: {} }), ' (27 × 412 sent again)');
  assert.equal(
    describeAnswers({ cartChanged: 27, unconfirmed: { '503 UPSTREAM_UNAVAILABLE': 3, '202 PENDING': 53 } }),
    ' (27 × 412 sent again; 53 × 202 PENDING; 3 × 503 UPSTREAM_UNAVAILABLE)',
  );
});
