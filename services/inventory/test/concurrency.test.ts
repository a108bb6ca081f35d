import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from '@bazaar/store';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { waitFor } from '@bazaar/kit/testing';
import { available, reserve, setStock, settle, startInventory } from './helpers.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: 20 concurrent reservations of 1 unit against 5 available: exactly 5 succeed, stock never negative, units conserved`, async (t) => {
    const { app, admin, repo } = await startInventory({ where: await testLocation(dialect, 'inventory', t) });
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
}

for (const dialect of DIALECTS) {
  test(`${dialect}: concurrent multi-line reservations, commits and releases keep available + reserved + committed = initial for every product`, async (t) => {
    const { app, admin, repo } = await startInventory({ where: await testLocation(dialect, 'inventory', t) });
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
}

for (const dialect of DIALECTS) {
  test(`${dialect}: sweeps releasing expired multi-product reservations race new reservations without deadlock or lost units`, async (t) => {
    const { app, admin, repo } = await startInventory({ where: await testLocation(dialect, 'inventory', t) });
    t.after(() => app.close());
    const initial = { a: 40, b: 40, c: 40, d: 40 };
    await setStock(app, admin, initial);
    const products = Object.keys(initial);
    const now = new Date().toISOString();
    const past = new Date(Date.now() - 1000).toISOString();
    const later = new Date(Date.now() + 60_000).toISOString();
    // Expired reservations whose products, taken reservation by reservation, come in every order.
    for (let i = 0; i < 12; i++) {
      const items = [0, 1, 2].map((k) => ({ productId: products[(i + k * (1 + (i % 3))) % 4] as string, quantity: 1 })).filter((it, k, all) => all.findIndex((x) => x.productId === it.productId) === k);
      assert.equal((await repo.reserve({ orderId: `old-${i}`, items, expiresAt: past, now: past })).kind, 'created');
    }
    const fresh = Array.from({ length: 16 }, (_, i) => ({
      orderId: `new-${i}`,
      items: [{ productId: products[3 - (i % 4)] as string, quantity: 2 }, { productId: products[(i + 1) % 4] as string, quantity: 1 }].filter((it, k, all) => all.findIndex((x) => x.productId === it.productId) === k),
      expiresAt: later,
      now,
    }));
    const [released] = await Promise.all([
      Promise.all([repo.expireDue({ now, limit: 100 }), repo.expireDue({ now, limit: 100 }), repo.expireDue({ now, limit: 100, productIds: ['d', 'a'] })]),
      Promise.all(fresh.map((f) => repo.reserve(f))),
    ]);
    assert.equal(released.reduce((x, y) => x + y, 0), 12, 'each expired reservation released exactly once');
    for (const [productId, units] of Object.entries(initial)) {
      const s = await repo.stock(productId);
      assert.ok(s);
      const held = fresh.flatMap((f) => f.items).filter((it) => it.productId === productId).reduce((n, it) => n + it.quantity, 0);
      assert.deepEqual([s.available, s.reserved, s.committed], [units - held, held, 0], productId);
    }
  });
}

test('postgres: a sweep of several expired reservations deadlocked with a reservation taking the same products (now one transaction per reservation)', async (t) => {
  const { app, admin, repo, store } = await startInventory({ where: await testLocation('postgres', 'inventory', t) });
  t.after(() => app.close());
  await setStock(app, admin, { a: 10, b: 10 });
  const past = new Date(Date.now() - 2000).toISOString();
  const now = new Date().toISOString();
  // Swept in this order: first the one holding b, then the one holding a.
  await repo.reserve({ orderId: 'r1', items: [{ productId: 'b', quantity: 1 }], expiresAt: new Date(Date.now() - 3000).toISOString(), now: past });
  await repo.reserve({ orderId: 'r2', items: [{ productId: 'a', quantity: 1 }], expiresAt: past, now: past });
  // A reservation of [a, b] in flight: it has taken a (products go in order) and is about to take b.
  let takeB!: () => void;
  const mayTakeB = new Promise<void>((resolve) => (takeB = resolve));
  let tookA!: () => void;
  const hasA = new Promise<void>((resolve) => (tookA = resolve));
  const reservation = store.db.transaction().execute(async (trx) => {
    await trx.updateTable('stock').set((eb) => ({ available: eb('available', '-', 1) })).where('product_id', '=', 'a').execute();
    tookA();
    await mayTakeB;
    await trx.updateTable('stock').set((eb) => ({ available: eb('available', '-', 1) })).where('product_id', '=', 'b').execute();
  });
  await hasA;
  const sweep = repo.expireDue({ now, limit: 10 });
  // Wait until the sweep is blocked on a (held by the reservation), then let the reservation go on to b.
  await waitFor('the sweep to wait on stock a', async () => {
    const { rows } = await sql<{ n: number }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(store.db);
    return rows[0]?.n === 1;
  }, 30_000);
  takeB();
  // A sweep holding b in the same transaction would now deadlock with the reservation (PostgreSQL aborts one).
  await reservation;
  assert.equal(await sweep, 2);
  assert.deepEqual(await repo.stock('a'), { productId: 'a', available: 9, reserved: 0, committed: 0 });
  assert.deepEqual(await repo.stock('b'), { productId: 'b', available: 9, reserved: 0, committed: 0 });
});
