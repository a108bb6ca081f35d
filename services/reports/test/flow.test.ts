// Events from real feeds into the report: stand-ins for orders and payments
// serve real outboxes over HTTP; reports consumes them as main.ts wires it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createTestKeys, waitFor } from '@bazaar/kit/testing';
import { internal, confirmedOrder, cancelledOrder, orderOf, payment, startProducer, startReports } from './helpers.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** Both producers, closed when the test ends (passed or not), so a failure never leaves a feed or a consumer running. */
async function producers(t: TestContext) {
  const orders = await startProducer('orders');
  const payments = await startProducer('payments');
  t.after(async () => {
    await orders.close();
    await payments.close();
  });
  return {
    orders,
    payments,
    urls: { ordersUrl: orders.url, paymentsUrl: payments.url },
  };
}

/** Reports over the producers; its workers, app and (unless kept) store are closed when the test ends. */
async function reports(t: TestContext, opts: Parameters<typeof startReports>[0], keepStore = false) {
  const svc = await startReports(opts);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await svc.stop();
    if (!keepStore) await svc.store.close();
  });
  return {
    ...svc,
    async stop() {
      stopped = true;
      await svc.stop();
    },
  };
}

const ready = async (svc: { app: { inject(o: { url: string }): Promise<{ statusCode: number }> } }, timeoutMs = 10_000) =>
  waitFor('/readyz 200', async () => (await svc.app.inject({ url: '/readyz' })).statusCode === 200, timeoutMs);

test('a confirmed order shows up in the report (latency reported); a redelivery (cursor reset) does not count twice', async (t) => {
  const p = await producers(t);
  const first = await reports(t, p.urls, true);
  await ready(first);

  const t0 = Date.now();
  await p.payments.publish('payments.payment-captured', payment('CAPTURED'));
  await p.orders.publish('orders.order-confirmed', confirmedOrder());
  const report = await waitFor('the order in the report', async () => {
    const now = await first.sales();
    return now.orders === 1 && now.payments.captured.count === 1 && now;
  }, 30_000);
  // The latency is reported, not asserted: a busy machine stretches wall time at will (docs/testing.md).
  t.diagnostic(`confirmed order in the report ${Date.now() - t0} ms after publishing`);
  assert.deepEqual(report.revenue, eur(5348));
  assert.deepEqual(report.topProducts.map((x) => [x.productId, x.units]), [['p-lamp', 2], ['p-pen', 1]]);
  await first.stop();

  // Forget both positions: the feeds hand every event over again.
  await first.store.cursors.save('orders/reports', 0);
  await first.store.cursors.save('payments/reports', 0);
  const second = await reports(t, { ...p.urls, store: first.store });
  await p.orders.publish('orders.order-cancelled', cancelledOrder());
  await p.payments.publish('payments.payment-voided', payment('VOIDED', { paymentId: 'pay-9', orderId: 'order-9', amount: eur(2599) }));
  // The later events being counted proves the earlier ones were redelivered first (each feed is in order).
  const after = await waitFor('the later cancellation and void counted', async () => {
    const now = await second.sales();
    return now.cancelled.count === 1 && now.payments.voided.count === 1 && now;
  });
  assert.equal(after.orders, 1);
  assert.deepEqual(after.revenue, eur(5348));
  assert.equal(after.topProducts[0]?.units, 2);
  assert.equal(after.payments.captured.count, 1);
  assert.equal((await second.store.progress()).events, 4);
});

test('with orders and payments down, the report keeps answering from DuckDB; events wait and arrive once', async (t) => {
  const p = await producers(t);
  const svc = await reports(t, p.urls);
  await ready(svc);
  await p.orders.publish('orders.order-confirmed', confirmedOrder());
  const before = await waitFor('the order counted', async () => {
    const now = await svc.sales();
    return now.orders === 1 && now;
  });
  await p.orders.stop();
  await p.payments.stop();
  await p.orders.publish('orders.order-confirmed', orderOf({ orderId: 'o2', productId: 'p-cup', quantity: 1, price: 500, confirmedAt: '2026-01-03T10:00:00Z' }));
  assert.deepEqual(await svc.sales(), before);
  assert.equal((await svc.app.inject({ url: '/readyz' })).statusCode, 200, 'ready: the producers are not a readiness dependency');

  await p.orders.start();
  await p.payments.start();
  const after = await waitFor('the order published while down', async () => {
    const now = await svc.sales();
    return now.orders === 2 && now;
  }, 30_000);
  assert.deepEqual(after.revenue, eur(5848));
});

test('a rebuild replays the feeds from position 0: 503 with progress meanwhile, then the same answers', async (t) => {
  const p = await producers(t);
  const keys = await createTestKeys();
  const svc = await reports(t, { ...p.urls, keys });
  for (let i = 1; i <= 5; i++) {
    await p.orders.publish('orders.order-confirmed', orderOf({ orderId: `o${i}`, productId: `p${i % 2}`, quantity: i, price: 100 * i, confirmedAt: `2026-01-0${i}T10:00:00Z` }));
  }
  await p.orders.publish('orders.order-cancelled', cancelledOrder({ orderId: 'o5', reason: 'changed their mind' }));
  await p.payments.publish('payments.payment-refunded', payment('REFUNDED', { orderId: 'o2', amount: eur(100) }));
  const before = await waitFor('the history counted', async () => {
    const now = await svc.sales();
    return now.cancelled.count === 1 && now.refunds.count === 1 && now;
  });
  assert.equal(before.orders, 4);

  // With orders unreachable, the rebuild cannot finish, and readiness says why.
  await p.orders.stop();
  const accepted = await svc.app.inject({ method: 'POST', url: '/internal/reports/rebuild', headers: internal });
  assert.equal(accepted.statusCode, 202);
  // Wait for both feeds' states: under load, payments' replay can lag behind the moment orders shows unreachable.
  const during = await waitFor('readyz to report the rebuild with orders unreachable and payments caught up', async () => {
    const res = await svc.app.inject({ url: '/readyz' });
    return res.statusCode === 503 && /orders at 0 \(unreachable\)/.test(res.body) && /payments at 1 \(caught-up\)/.test(res.body) && res;
  });
  assert.match(during.json().checks.rebuild, /payments at 1 \(caught-up\)/);
  assert.equal(during.json().checks.store, 'ok');

  await p.orders.start();
  await ready(svc);
  assert.deepEqual(await svc.sales(), before);
  assert.equal((await svc.store.progress()).events, 7);
  await svc.stop();

  // A new, empty database (the file was lost) fills from the whole history before it says it is ready.
  const fresh = await reports(t, { ...p.urls, keys });
  assert.ok(await fresh.store.rebuildStartedAt());
  await ready(fresh);
  assert.deepEqual(await fresh.sales(), before);
});

test('a rebuild ends once the history is replayed, while the producers keep writing events (as shoppers check out)', async (t) => {
  const p = await producers(t);
  const svc = await reports(t, p.urls);
  await ready(svc);
  for (let i = 1; i <= 300; i++) await p.orders.publish('orders.order-confirmed', orderOf({ orderId: `h${i}`, productId: 'p1', quantity: 1, price: 100, confirmedAt: '2026-01-02T10:00:00Z' }));
  await waitFor('the history counted', async () => (await svc.sales()).orders === 300);

  // Shoppers keep checking out: an order confirmed and its payment captured every few ms, until the test ends.
  let writing = true;
  let written = 0;
  const writer = (async () => {
    while (writing) {
      written += 1;
      await p.orders.publish('orders.order-confirmed', orderOf({ orderId: `n${written}`, productId: 'p2', quantity: 1, price: 100, confirmedAt: '2026-01-03T10:00:00Z' }));
      await p.payments.publish('payments.payment-captured', payment('CAPTURED', { orderId: `n${written}`, amount: eur(100) }));
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  try {
    await waitFor('events written after the history', async () => written >= 20);
    const accepted = await svc.app.inject({ method: 'POST', url: '/internal/reports/rebuild', headers: internal });
    assert.equal(accepted.statusCode, 202);
    // Before: the rebuild waited for a moment with nothing after its position on both feeds, which a feed written
    // every few ms does not give: it was still rebuilding (and reports not ready) after 30 s of writing.
    await waitFor('the rebuild to end while events keep coming', async () => (await svc.app.inject({ url: '/internal/reports/rebuild', headers: internal })).json().rebuilding === false, 30_000);
    assert.equal((await svc.app.inject({ url: '/readyz' })).statusCode, 200);
    const now = await svc.sales();
    assert.ok(now.orders >= 300 + 20, `the whole history replayed, and what came during the rebuild: ${now.orders} orders`);
  } finally {
    writing = false;
    await writer;
  }
});
