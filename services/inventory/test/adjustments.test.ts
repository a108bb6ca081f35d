import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import type { StockAdjustmentPage } from '@bazaar/contracts/inventory';
import { bearer, reserve, startInventory } from './helpers.ts';

/** A clock that moves one second per read, so adjustments have distinct times. */
function steppingClock() {
  let t = Date.parse('2026-03-01T09:00:00Z');
  return () => new Date((t += 1000));
}

for (const dialect of DIALECTS) {
  test(`${dialect}: every PUT is recorded with who, when, delta and reason; newest first, paged; a blank or absent reason is "stock set"`, async (t) => {
    const inv = await startInventory({ now: steppingClock(), where: await testLocation(dialect, 'inventory', t) });
    const boss = await inv.keys.sign({ sub: 'admin-7', email: 'boss@example.com', roles: ['admin'] });
    const put = async (available: number, reason?: string) => {
      const res = await inv.app.inject({ method: 'PUT', url: '/api/inventory/p1', headers: bearer(boss), payload: { available, ...(reason === undefined ? {} : { reason }) } });
      assert.equal(res.statusCode, 200, res.body);
    };
    await put(10, 'restock');
    await put(7, '  damaged  ');
    await put(7, 'count correction');
    await put(12);
    const all: StockAdjustmentPage['items'] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/inventory/p1/adjustments?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await inv.app.inject({ url, headers: bearer(boss) });
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json() as StockAdjustmentPage;
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(all.map((a) => [a.delta, a.available, a.reason]), [
      [5, 12, 'stock set'],
      [0, 7, 'count correction'],
      [-3, 7, 'damaged'],
      [10, 10, 'restock'],
    ]);
    assert.deepEqual(all[0]?.by, { id: 'admin-7', email: 'boss@example.com' });
    assert.ok(all.every((a, i) => i === 0 || (all[i - 1] as { at: string }).at > a.at), 'newest first');
    assert.deepEqual((await inv.app.inject({ url: '/api/inventory/other/adjustments', headers: bearer(boss) })).json(), { items: [], nextCursor: null });
    await inv.app.close();
  });
}

test('the delta counts from the level after reservations took their units', async () => {
  const inv = await startInventory({ now: steppingClock() });
  await inv.app.inject({ method: 'PUT', url: '/api/inventory/p1', headers: bearer(inv.admin), payload: { available: 10, reason: 'restock' } });
  await reserve(inv.app, { orderId: 'o1', items: [{ productId: 'p1', quantity: 4 }] });
  await inv.app.inject({ method: 'PUT', url: '/api/inventory/p1', headers: bearer(inv.admin), payload: { available: 8, reason: 'found a box' } });
  const page = (await inv.app.inject({ url: '/api/inventory/p1/adjustments', headers: bearer(inv.admin) })).json() as StockAdjustmentPage;
  assert.deepEqual(page.items.map((a) => a.delta), [2, 10]);
  await inv.app.close();
});

test('reason is bounded (1 to 200 characters); a forged cursor is 400 INVALID_CURSOR', async () => {
  const inv = await startInventory();
  for (const reason of ['', 'x'.repeat(201), 5]) {
    const res = await inv.app.inject({ method: 'PUT', url: '/api/inventory/p1', headers: bearer(inv.admin), payload: { available: 1, reason } });
    assert.equal(res.statusCode, 400, JSON.stringify(reason));
    assert.match(res.json().detail, /reason/);
  }
  const forged = await inv.app.inject({ url: '/api/inventory/p1/adjustments?cursor=Zm9v', headers: bearer(inv.admin) });
  assert.equal(forged.statusCode, 400);
  assert.equal(forged.json().code, 'INVALID_CURSOR');
  await inv.app.close();
});

test('adjustments are admin-only: anonymous 401, a customer 403', async () => {
  const inv = await startInventory();
  assert.equal((await inv.app.inject({ url: '/api/inventory/p1/adjustments' })).statusCode, 401);
  assert.equal((await inv.app.inject({ url: '/api/inventory/p1/adjustments', headers: bearer(inv.customer) })).statusCode, 403);
  await inv.app.close();
});
