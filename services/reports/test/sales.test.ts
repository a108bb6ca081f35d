// The aggregation rules against a real (in-memory) DuckDB: events go in
// through the same decoding and inbox as the feed consumer uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AnyCloudEvent, EventData, EventType } from '@bazaar/contracts/events';
import { decodeEvent, streamOf } from '../src/events.ts';
import { createReports } from '../src/domain/sales.ts';
import { openReportsStore } from '../src/store/index.ts';
import { cancelledOrder, confirmedOrder, orderOf, payment } from './helpers.ts';

/** A store plus a way to hand it events as the feeds would (ids and sequences filled in). */
async function setup() {
  const store = await openReportsStore({ dataDir: '', inMemory: true });
  const reports = createReports({ figures: store, currency: 'EUR' });
  const sequence = { orders: 0, payments: 0 };
  async function deliver(event: AnyCloudEvent): Promise<'handled' | 'duplicate'> {
    const decoded = decodeEvent(event);
    if (decoded.kind !== 'fact') throw new Error(`not a fact: ${JSON.stringify(decoded)}`);
    return store.apply({ event, stream: streamOf(event.source as 'orders' | 'payments'), fact: decoded.fact });
  }
  function eventOf<T extends EventType>(type: T, data: EventData<T>, opts: { id?: string; time?: string } = {}): AnyCloudEvent {
    const source = type.split('.')[0] as 'orders' | 'payments';
    sequence[source] += 1;
    return {
      specversion: '1.0',
      id: opts.id ?? randomUUID(),
      source,
      type,
      time: opts.time ?? '2026-01-02T12:00:00.000Z',
      datacontenttype: 'application/json',
      sequence: sequence[source],
      data,
    };
  }
  const publish = <T extends EventType>(type: T, data: EventData<T>, opts: { id?: string; time?: string } = {}) => deliver(eventOf(type, data, opts));
  return { store, reports, publish, deliver, eventOf, sales: (query: { from?: string; to?: string; currency?: string; top?: number } = {}) => reports.sales({ top: 10, ...query }) };
}

async function withSetup(fn: (s: Awaited<ReturnType<typeof setup>>) => Promise<void>): Promise<void> {
  const s = await setup();
  try {
    await fn(s);
  } finally {
    await s.store.close();
  }
}

const eur = (amount: number) => ({ amount, currency: 'EUR' });

test('orders, revenue, average order value and byDay add up the confirmed orders per UTC day', () =>
  withSetup(async ({ publish, sales }) => {
    await publish('orders.order-confirmed', confirmedOrder({ orderId: 'o1', confirmedAt: '2026-01-02T10:00:00.000Z' }));
    await publish('orders.order-confirmed', orderOf({ orderId: 'o2', productId: 'p-mug', quantity: 1, price: 1001, confirmedAt: '2026-01-02T23:59:59.999Z' }));
    // 00:30 in Paris on the 4th is still the 3rd in UTC.
    await publish('orders.order-confirmed', orderOf({ orderId: 'o3', productId: 'p-mug', quantity: 3, price: 1000, confirmedAt: '2026-01-04T00:30:00.000+01:00' }));
    const report = await sales();
    assert.equal(report.orders, 3);
    assert.deepEqual(report.revenue, eur(5348 + 1001 + 3000));
    assert.deepEqual(report.grossRevenue, eur(9349));
    // 9349 / 3 = 3116.33 → 3116
    assert.deepEqual(report.averageOrderValue, eur(3116));
    assert.deepEqual(report.byDay, [
      { day: '2026-01-02', orders: 2, revenue: eur(6349) },
      { day: '2026-01-03', orders: 1, revenue: eur(3000) },
    ]);
    assert.equal(report.currency, 'EUR');
    assert.equal(report.from, null);
    assert.equal(report.to, null);
  }));

test('averageOrderValue rounds half up to the minor unit, and is 0 without orders', () =>
  withSetup(async ({ publish, sales }) => {
    assert.deepEqual((await sales()).averageOrderValue, eur(0));
    await publish('orders.order-confirmed', orderOf({ orderId: 'a', productId: 'x', quantity: 1, price: 100, confirmedAt: '2026-01-02T10:00:00Z' }));
    await publish('orders.order-confirmed', orderOf({ orderId: 'b', productId: 'x', quantity: 1, price: 101, confirmedAt: '2026-01-02T10:00:00Z' }));
    assert.deepEqual((await sales()).averageOrderValue, eur(101));
  }));

test('topProducts: most units first, then revenue; names and units from the order lines; limited by top', () =>
  withSetup(async ({ publish, sales }) => {
    await publish('orders.order-confirmed', confirmedOrder({ orderId: 'o1' })); // 2 lamps, 1 pen
    await publish('orders.order-confirmed', orderOf({ orderId: 'o2', productId: 'p-pen', name: 'Fountain Pen', quantity: 1, price: 150, confirmedAt: '2026-01-03T10:00:00Z' }));
    await publish('orders.order-confirmed', orderOf({ orderId: 'o3', productId: 'p-cup', name: 'Cup', quantity: 2, price: 500, confirmedAt: '2026-01-03T10:00:00Z' }));
    const report = await sales();
    assert.deepEqual(report.topProducts, [
      { productId: 'p-lamp', name: 'Desk Lamp', units: 2, revenue: eur(5198) },
      { productId: 'p-cup', name: 'Cup', units: 2, revenue: eur(1000) },
      { productId: 'p-pen', name: 'Fountain Pen', units: 2, revenue: eur(300) },
    ]);
    assert.deepEqual((await sales({ top: 1 })).topProducts.map((p) => p.productId), ['p-lamp']);
  }));

test('cancellations are counted by reason, most frequent first, and are not sales', () =>
  withSetup(async ({ publish, sales }) => {
    await publish('orders.order-confirmed', confirmedOrder({ orderId: 'o1' }));
    await publish('orders.order-cancelled', cancelledOrder({ orderId: 'c1', reason: 'insufficient stock: Desk Lamp' }));
    await publish('orders.order-cancelled', cancelledOrder({ orderId: 'c2', reason: 'payment declined: card_declined' }));
    await publish('orders.order-cancelled', cancelledOrder({ orderId: 'c3', reason: 'payment declined: card_declined' }));
    const report = await sales();
    assert.equal(report.orders, 1);
    assert.deepEqual(report.revenue, eur(5348));
    assert.deepEqual(report.cancelled, {
      count: 3,
      byReason: [
        { reason: 'payment declined: card_declined', count: 2 },
        { reason: 'insufficient stock: Desk Lamp', count: 1 },
      ],
    });
  }));

test('from/to: a date is the whole UTC day, a date-time that instant, both inclusive', () =>
  withSetup(async ({ publish, sales }) => {
    await publish('orders.order-confirmed', orderOf({ orderId: 'd1', productId: 'x', quantity: 1, price: 100, confirmedAt: '2026-01-01T00:00:00.000Z' }));
    await publish('orders.order-confirmed', orderOf({ orderId: 'd2', productId: 'x', quantity: 1, price: 200, confirmedAt: '2026-01-02T23:59:59.999Z' }));
    await publish('orders.order-confirmed', orderOf({ orderId: 'd3', productId: 'x', quantity: 1, price: 400, confirmedAt: '2026-01-03T00:00:00.000Z' }));
    await publish('orders.order-cancelled', cancelledOrder({ orderId: 'c1', cancelledAt: '2026-01-03T08:00:00.000Z' }));
    const days = await sales({ from: '2026-01-01', to: '2026-01-02' });
    assert.equal(days.orders, 2);
    assert.deepEqual(days.revenue, eur(300));
    assert.equal(days.from, '2026-01-01T00:00:00.000Z');
    assert.equal(days.to, '2026-01-03T00:00:00.000Z');
    assert.equal(days.cancelled.count, 0);
    const oneDay = await sales({ from: '2026-01-03', to: '2026-01-03' });
    assert.deepEqual([oneDay.orders, oneDay.revenue.amount, oneDay.cancelled.count], [1, 400, 1]);
    const instants = await sales({ from: '2026-01-02T23:59:59.999Z', to: '2026-01-03T00:00:00Z' });
    assert.deepEqual(instants.byDay.map((d) => d.day), ['2026-01-02', '2026-01-03']);
    const openEnded = await sales({ from: '2026-01-02' });
    assert.equal(openEnded.orders, 2);
    assert.equal((await sales({ to: '2026-01-01' })).orders, 1);
  }));

test('the same event delivered twice counts once', () =>
  withSetup(async ({ store, deliver, eventOf, sales }) => {
    const event = eventOf('orders.order-confirmed', confirmedOrder());
    assert.equal(await deliver(event), 'handled');
    assert.equal(await deliver(event), 'duplicate');
    const refund = eventOf('payments.payment-refunded', payment('REFUNDED', { amount: eur(1000) }));
    assert.equal(await deliver(refund), 'handled');
    assert.equal(await deliver(refund), 'duplicate');
    const report = await sales();
    assert.equal(report.orders, 1);
    assert.deepEqual(report.revenue, eur(4348));
    assert.deepEqual(report.topProducts[0], { productId: 'p-lamp', name: 'Desk Lamp', units: 2, revenue: eur(5198) });
    assert.equal(report.payments.refunded.count, 1);
    assert.deepEqual((await store.progress()).events, 2);
  }));

test('the same order confirmed by two different events is still one order', () =>
  withSetup(async ({ publish, sales }) => {
    await publish('orders.order-confirmed', confirmedOrder());
    await publish('orders.order-confirmed', confirmedOrder());
    const report = await sales();
    assert.equal(report.orders, 1);
    assert.equal(report.topProducts[0]?.units, 2);
  }));

test('cancel after confirm: the order leaves the sales and counts as cancelled', () =>
  withSetup(async ({ publish, sales }) => {
    await publish('orders.order-confirmed', confirmedOrder({ orderId: 'o1' }));
    await publish('orders.order-confirmed', orderOf({ orderId: 'o2', productId: 'p-cup', quantity: 1, price: 500, confirmedAt: '2026-01-02T10:00:00Z' }));
    await publish('orders.order-cancelled', cancelledOrder({ orderId: 'o1', reason: 'cancelled by an admin', cancelledAt: '2026-01-05T09:00:00Z' }));
    // Its refund follows; it must not be taken off the revenue a second time.
    await publish('payments.payment-refunded', payment('REFUNDED', { orderId: 'o1' }));
    const report = await sales();
    assert.equal(report.orders, 1);
    assert.deepEqual(report.revenue, eur(500));
    assert.deepEqual(report.topProducts.map((p) => p.productId), ['p-cup']);
    assert.deepEqual(report.cancelled, { count: 1, byReason: [{ reason: 'cancelled by an admin', count: 1 }] });
    assert.deepEqual(report.refunds, { count: 0, amount: eur(0) });
  }));

test('refunds: net revenue subtracts what was refunded of an order, whichever feed arrives first', () =>
  withSetup(async ({ publish, sales }) => {
    // payments' refund arrives before orders' confirmation (separate feeds, no order between them).
    await publish('payments.payment-captured', payment('CAPTURED', { orderId: 'o1', amount: eur(5348) }), { time: '2026-01-02T09:59:00Z' });
    await publish('payments.payment-refunded', payment('REFUNDED', { orderId: 'o1', amount: eur(5348) }), { time: '2026-01-06T10:00:00Z' });
    await publish('orders.order-confirmed', confirmedOrder({ orderId: 'o1' }));
    await publish('orders.order-confirmed', orderOf({ orderId: 'o2', productId: 'p-cup', quantity: 1, price: 500, confirmedAt: '2026-01-02T11:00:00Z' }));
    // A capture refunded by the checkout saga (stock lost): the order was never confirmed, so never revenue.
    await publish('payments.payment-captured', payment('CAPTURED', { paymentId: 'pay-x', orderId: 'ox', amount: eur(700) }));
    await publish('payments.payment-refunded', payment('REFUNDED', { paymentId: 'pay-x', orderId: 'ox', amount: eur(700) }));
    await publish('payments.payment-voided', payment('VOIDED', { paymentId: 'pay-y', orderId: 'oy', amount: eur(900) }));
    const report = await sales();
    assert.equal(report.orders, 2);
    assert.deepEqual(report.grossRevenue, eur(5848));
    assert.deepEqual(report.revenue, eur(500));
    assert.deepEqual(report.refunds, { count: 1, amount: eur(5348) });
    assert.deepEqual(report.averageOrderValue, eur(250));
    assert.deepEqual(report.byDay, [{ day: '2026-01-02', orders: 2, revenue: eur(500) }]);
    assert.deepEqual(report.payments, {
      captured: { count: 2, amount: eur(6048) },
      voided: { count: 1, amount: eur(900) },
      refunded: { count: 2, amount: eur(6048) },
    });
    // Payment figures follow the events' own times.
    assert.deepEqual((await sales({ from: '2026-01-06', to: '2026-01-06' })).payments.refunded, { count: 1, amount: eur(5348) });
  }));

test('a report is in one currency: orders in another are left out unless asked for', () =>
  withSetup(async ({ publish, sales }) => {
    await publish('orders.order-confirmed', confirmedOrder({ orderId: 'o1' }));
    const usd = { amount: 999, currency: 'USD' };
    await publish('orders.order-confirmed', confirmedOrder({ orderId: 'o2', items: [{ productId: 'p-x', name: 'X', quantity: 1, unitPrice: usd, lineTotal: usd }], total: usd }));
    assert.deepEqual([(await sales()).orders, (await sales()).revenue], [1, eur(5348)]);
    const dollars = await sales({ currency: 'USD' });
    assert.deepEqual([dollars.orders, dollars.revenue, dollars.currency], [1, usd, 'USD']);
  }));

test('events that break their contract or are not used are recognised as such', () => {
  const base = { specversion: '1.0' as const, id: 'e', source: 'orders', time: '2026-01-02T10:00:00Z', datacontenttype: 'application/json' as const, sequence: 1 };
  const broken = decodeEvent({ ...base, type: 'orders.order-confirmed', data: { ...confirmedOrder(), total: undefined } });
  assert.equal(broken.kind, 'invalid');
  assert.equal(decodeEvent({ ...base, type: 'orders.order-placed', data: {} }).kind, 'ignored');
  assert.equal(decodeEvent({ ...base, type: 'inventory.stock-changed', data: { productId: 'p', available: 1 } }).kind, 'ignored');
});
