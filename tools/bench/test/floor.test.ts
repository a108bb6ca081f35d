import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countOperations, floorUs, measureBareCosts } from '../src/floor.ts';

test("a checkout's operations are counted from its spans: HTTP served and made, statements, transactions; other spans are not", async () => {
  const spans: Record<string, { name: string; kind: number }[]> = {
    a: [
      { name: 'POST /api/checkout', kind: 1 },
      { name: 'GET cart', kind: 2 },
      { name: 'GET /internal/carts/:userId', kind: 1 },
      { name: 'sqlite SELECT', kind: 2 },
      { name: 'sqlite INSERT', kind: 2 },
      { name: 'sqlite transaction', kind: 2 },
      { name: 'publish orders.order-placed', kind: 3 },
      { name: 'consume orders.order-placed', kind: 5 },
      { name: 'saga RESERVING', kind: 0 },
    ],
    b: [
      { name: 'POST /api/checkout', kind: 1 },
      { name: 'postgresql UPDATE', kind: 2 },
      { name: 'postgresql transaction', kind: 2 },
      { name: 'postgresql transaction', kind: 2 },
    ],
    gone: [],
  };
  const ops = await countOperations(['a', 'b', 'gone'], async (id) => spans[id] ?? []);
  assert.deepEqual(ops, { orders: 2, served: 1.5, made: 0.5, statements: 1.5, transactions: 1.5 }, 'an order with no spans stored is left out of the mean');
  assert.equal(floorUs(ops, { serverUs: 10, clientUs: 20, statementUs: 2, transactionUs: 4 }), 1.5 * 10 + 0.5 * 20 + 1.5 * 2 + 1.5 * 4);
});

test('the bare operations are measured in processes of their own, each cost positive and finite', async () => {
  const costs = await measureBareCosts({ durationS: 1, inFlight: 2 });
  for (const [name, us] of Object.entries(costs)) assert.ok(Number.isFinite(us) && us >= 0, `${name}: ${us} µs`);
  assert.ok(costs.serverUs > 0 && costs.clientUs > 0 && costs.statementUs > 0, `HTTP and statements cost something: ${JSON.stringify(costs)}`);
});
