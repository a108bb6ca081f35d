import { test } from 'node:test';
import assert from 'node:assert/strict';
import { available, reserve, setStock, settle, startInventory } from './helpers.ts';

test('20 concurrent reservations of 1 unit against 5 available: exactly 5 succeed, stock never negative, units conserved', async () => {
  const { app, admin, repo } = await startInventory();
  await setStock(app, admin, { p: 5 });
  // Readers interleave with the writers and record every level they observe.
  const [results, seen] = await Promise.all([
    Promise.all(Array.from({ length: 20 }, (_, i) => reserve(app, { orderId: `order-${i}`, items: [{ productId: 'p', quantity: 1 }] }))),
    Promise.all(Array.from({ length: 20 }, () => available(app, 'p'))),
  ]);
  const statuses = results.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 201).length, 5, `statuses: ${statuses.join(',')}`);
  assert.equal(statuses.filter((s) => s === 409).length, 15);
  assert.ok(results.filter((r) => r.status === 409).every((r) => r.body.code === 'INSUFFICIENT_STOCK' && r.body.available === 0));
  assert.ok(seen.length > 0 && seen.every((n) => n >= 0 && n <= 5), `observed levels: ${seen.join(',')}`);
  const stock = await repo.stock('p');
  assert.deepEqual(stock, { productId: 'p', available: 0, reserved: 5, committed: 0 });
  await app.close();
});

test('concurrent multi-line reservations, commits and releases keep available + reserved + committed = initial for every product', async () => {
  const { app, admin, repo } = await startInventory();
  const initial = { x: 12, y: 7, z: 30 };
  await setStock(app, admin, initial);
  const products = Object.keys(initial);
  // Each order wants 1–3 units of two products, in varying order; some will not fit.
  const orders = Array.from({ length: 30 }, (_, i) => ({
    orderId: `o${i}`,
    items: [
      { productId: products[i % 3] as string, quantity: 1 + (i % 3) },
      { productId: products[(i + 1) % 3] as string, quantity: 1 + ((i + 1) % 2) },
    ],
  }));
  const made = await Promise.all(orders.map((o) => reserve(app, o)));
  assert.ok(made.every((r) => r.status === 201 || r.status === 409));
  // Settle every reservation at once: even ones commit, odd ones release; every call twice, to race the idempotency too.
  const ok = orders.filter((_, i) => made[i]?.status === 201);
  await Promise.all(ok.flatMap((o, i) => [settle(app, o.orderId, i % 2 ? 'release' : 'commit'), settle(app, o.orderId, i % 2 ? 'release' : 'commit')]));
  for (const [productId, units] of Object.entries(initial)) {
    const s = await repo.stock(productId);
    assert.ok(s);
    assert.ok(s.available >= 0 && s.reserved >= 0 && s.committed >= 0);
    assert.equal(s.reserved, 0, `${productId}: everything was settled`);
    assert.equal(s.available + s.reserved + s.committed, units, `${productId}: ${JSON.stringify(s)}`);
  }
  await app.close();
});
