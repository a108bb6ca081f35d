import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '@bazaar/store/testing';
import type { AdminOrder, AdminOrderList } from '@bazaar/contracts/orders';
import type { Email } from '@bazaar/contracts/notifications';
import type { OrderRefundedData, OrderShippedData } from '@bazaar/contracts/events';
import { DECLINED_CARD } from './standins.ts';
import { bearer, checkout, checkoutBody, getOrder, outboxEvents, startOrders, testStore, type Harness } from './helpers.ts';
import { adminFilter } from '../src/domain/back-office.ts';

/** A confirmed order of `user` (its cart filled afresh, so each checkout is a new cart version). */
async function confirmedOrder(h: Harness, user: 'alice' | 'bob', price = 899): Promise<string> {
  h.upstreams.fillCart(user, [{ productId: 'p-mug', name: 'Blue Mug', quantity: 2, price }]);
  const res = await checkout(h.app, h[user]);
  assert.equal(res.json().status, 'CONFIRMED', res.body);
  return res.json().orderId as string;
}

const post = (h: Harness, token: string | undefined, url: string, payload: unknown) =>
  h.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: token === undefined ? {} : bearer(token) });
const ship = (h: Harness, id: string, body = { carrier: 'La Poste', trackingNumber: 'LP 0001-FR' }, token = h.admin) => post(h, token, `/api/admin/orders/${id}/shipment`, body);
const refund = (h: Harness, id: string, body: { restock: boolean; reason?: string } = { restock: true }, token = h.admin) => post(h, token, `/api/admin/orders/${id}/refund`, body);
const eventsOf = async (h: Harness, type: string, orderId: string) => (await outboxEvents(h.app)).filter((e) => e.type === type && e.subject === orderId);

test('every back-office route: anonymous 401, a customer 403 (even on their own order), an admin 200', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const id = await confirmedOrder(h, 'alice');
  const calls = [
    { method: 'GET' as const, url: '/api/admin/orders' },
    { method: 'GET' as const, url: `/api/admin/orders/${id}` },
    { method: 'POST' as const, url: `/api/admin/orders/${id}/shipment`, payload: { carrier: 'DHL', trackingNumber: 'T1' } },
    { method: 'POST' as const, url: `/api/admin/orders/${id}/refund`, payload: { restock: false } },
  ];
  for (const call of calls) {
    const anonymous = await h.app.inject(call);
    assert.equal(anonymous.statusCode, 401, `${call.method} ${call.url} anonymous`);
    const customer = await h.app.inject({ ...call, headers: bearer(h.alice) });
    assert.equal(customer.statusCode, 403, `${call.method} ${call.url} as the order's own customer`);
    const admin = await h.app.inject({ ...call, headers: bearer(h.admin) });
    assert.equal(admin.statusCode, 200, `${call.method} ${call.url} as an admin: ${admin.body}`);
  }
  const docs = (await h.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
  for (const path of ['/api/admin/orders', '/api/admin/orders/{id}', '/api/admin/orders/{id}/shipment', '/api/admin/orders/{id}/refund']) assert.ok(docs.paths[path], `${path} in OpenAPI`);
});

test("the admin list: every customer's orders newest first, paged, filtered by status, customer and date", async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const a1 = await confirmedOrder(h, 'alice');
  const b1 = await confirmedOrder(h, 'bob');
  h.upstreams.fillCart('alice', [{ productId: 'p-mug', name: 'Blue Mug', quantity: 1, price: 500 }]);
  const declined = (await checkout(h.app, h.alice, { body: checkoutBody({ number: DECLINED_CARD }) })).json().orderId as string;
  const b2 = await confirmedOrder(h, 'bob');
  const list = async (query: string) => {
    const res = await h.app.inject({ url: `/api/admin/orders${query}`, headers: bearer(h.admin) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as AdminOrderList;
  };
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: AdminOrderList = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.ok(page.items.length <= 3);
    seen.push(...page.items.map((o) => o.id));
    cursor = page.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, [b2, declined, b1, a1], 'every order once, newest first');
  assert.deepEqual((await list('?userId=bob')).items.map((o) => [o.id, o.userId]), [[b2, 'bob'], [b1, 'bob']]);
  assert.deepEqual((await list('?status=CANCELLED')).items.map((o) => o.id), [declined]);
  assert.deepEqual((await list('?status=CONFIRMED&userId=alice')).items.map((o) => o.id), [a1]);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal((await list(`?from=${today}&to=${today}`)).items.length, 4, 'a bare date is the whole day');
  assert.equal((await list('?to=2000-01-01')).items.length, 0);
  assert.equal((await list('?from=2999-01-01T00:00:00Z')).items.length, 0);
  const bad = await h.app.inject({ url: '/api/admin/orders?from=2026-13-45', headers: bearer(h.admin) });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'INVALID_DATE');
  assert.equal((await h.app.inject({ url: '/api/admin/orders?cursor=nope', headers: bearer(h.admin) })).json().code, 'INVALID_CURSOR');
  assert.equal((await h.app.inject({ url: '/api/admin/orders?status=LOST', headers: bearer(h.admin) })).statusCode, 400);
});

test('date filters: from is inclusive, a bare `to` date covers its whole day, a date-time `to` is inclusive', () => {
  assert.deepEqual(adminFilter({ from: '2026-12-05', to: '2026-12-05' }), { from: '2026-12-05T00:00:00.000Z', before: '2026-12-06T00:00:00.000Z' });
  assert.deepEqual(adminFilter({ to: '2026-12-05T10:00:00+01:00', status: 'SHIPPED' }), { status: 'SHIPPED', before: '2026-12-05T09:00:00.001Z' });
});

for (const dialect of DIALECTS) {
  test(`${dialect}: mark shipped: CONFIRMED → SHIPPED once, one event; the same shipment again is the same answer, another is 409`, async (t) => {
    const h = await startOrders({ store: await testStore(dialect, t) });
    t.after(() => h.close());
    const id = await confirmedOrder(h, 'alice');
    const first = await ship(h, id);
    assert.equal(first.statusCode, 200, first.body);
    const shipped = first.json() as AdminOrder;
    assert.equal(shipped.status, 'SHIPPED');
    assert.equal(shipped.shipment?.carrier, 'La Poste');
    assert.equal(shipped.shipment?.trackingNumber, 'LP 0001-FR');
    const again = await ship(h, id);
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), first.json(), 'a retry answers the same');
    const other = await ship(h, id, { carrier: 'La Poste', trackingNumber: 'LP 0002-FR' });
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().code, 'ALREADY_SHIPPED');
    const events = await eventsOf(h, 'orders.order-shipped', id);
    assert.equal(events.length, 1, 'one event');
    const data = events[0]?.data as OrderShippedData;
    assert.equal(data.email, 'alice@example.test');
    assert.equal(data.trackingNumber, 'LP 0001-FR');
    assert.equal(data.items[0]?.quantity, 2);
    // The customer sees it on their own order.
    const mine = await getOrder(h.app, h.alice, id);
    assert.equal(mine.status, 'SHIPPED');
    assert.deepEqual(mine.shipment, shipped.shipment);
  });

  test(`${dialect}: refund: payments first, then REFUNDED with one event; a retry refunds nothing more`, async (t) => {
    const h = await startOrders({ store: await testStore(dialect, t) });
    t.after(() => h.close());
    const id = await confirmedOrder(h, 'alice');
    assert.equal((await ship(h, id)).statusCode, 200, 'a shipped order can be refunded too');
    const res = await refund(h, id, { restock: true, reason: 'damaged in transit' });
    assert.equal(res.statusCode, 200, res.body);
    const refunded = res.json() as AdminOrder;
    assert.equal(refunded.status, 'REFUNDED');
    assert.deepEqual(refunded.refund && { ...refunded.refund, refundedAt: 'x' }, { amount: { amount: 1798, currency: 'EUR' }, restock: true, reason: 'damaged in transit', refundedAt: 'x' });
    assert.ok(refunded.shipment, 'the shipment is kept');
    assert.equal(h.upstreams.payments.get(id)?.status, 'REFUNDED');
    const again = await refund(h, id, { restock: true, reason: 'damaged in transit' });
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), res.json());
    assert.equal(h.upstreams.count('refund', id), 1, 'one refund at payments');
    const different = await refund(h, id, { restock: false });
    assert.equal(different.statusCode, 409);
    assert.equal(different.json().code, 'ALREADY_REFUNDED');
    const events = await eventsOf(h, 'orders.order-refunded', id);
    assert.equal(events.length, 1);
    const data = events[0]?.data as OrderRefundedData;
    assert.deepEqual({ ...data, refundedAt: 'x' }, {
      orderId: id,
      userId: 'alice',
      email: 'alice@example.test',
      amount: { amount: 1798, currency: 'EUR' },
      restock: true,
      items: data.items,
      reason: 'damaged in transit',
      refundedAt: 'x',
    });
    assert.equal(data.items[0]?.productId, 'p-mug');
    const mine = await getOrder(h.app, h.alice, id);
    assert.equal(mine.status, 'REFUNDED');
    assert.equal(mine.refund?.restock, true);
    // A refunded order is not shipped any more.
    const id2 = await confirmedOrder(h, 'alice');
    assert.equal((await refund(h, id2, { restock: false })).statusCode, 200);
    const late = await ship(h, id2);
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().code, 'ORDER_NOT_SHIPPABLE');
  });
}

test('a refund that payments fails answers 502 and leaves the order CONFIRMED, with no event; a retry refunds once', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const id = await confirmedOrder(h, 'alice');
  h.upstreams.faults.refund = { fail: 1 };
  const failed = await refund(h, id);
  assert.ok([502, 503].includes(failed.statusCode), `${failed.statusCode} ${failed.body}`);
  assert.equal(failed.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal((await getOrder(h.app, h.alice, id)).status, 'CONFIRMED');
  assert.equal((await eventsOf(h, 'orders.order-refunded', id)).length, 0);
  const retried = await refund(h, id);
  assert.equal(retried.statusCode, 200, retried.body);
  assert.equal((retried.json() as AdminOrder).status, 'REFUNDED');
  assert.equal((await eventsOf(h, 'orders.order-refunded', id)).length, 1);
});

test('only the right statuses move: a cancelled order is neither shipped nor refunded; an unknown order is 404; bad bodies are 400', async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const cancelled = (await checkout(h.app, h.alice, { body: checkoutBody({ number: DECLINED_CARD }) })).json().orderId as string;
  const s = await ship(h, cancelled);
  assert.equal(s.statusCode, 409);
  assert.equal(s.json().code, 'ORDER_NOT_SHIPPABLE');
  const r = await refund(h, cancelled);
  assert.equal(r.statusCode, 409);
  assert.equal(r.json().code, 'ORDER_NOT_REFUNDABLE');
  assert.equal(h.upstreams.count('refund'), 0, 'payments was not asked');
  assert.equal((await ship(h, 'no-such-order')).statusCode, 404);
  assert.equal((await refund(h, 'no-such-order')).statusCode, 404);
  assert.equal((await h.app.inject({ url: '/api/admin/orders/no-such-order', headers: bearer(h.admin) })).statusCode, 404);
  const id = await confirmedOrder(h, 'bob');
  assert.equal((await ship(h, id, { carrier: '', trackingNumber: 'T1' })).statusCode, 400);
  assert.equal((await ship(h, id, { carrier: 'DHL', trackingNumber: '<script>' })).statusCode, 400);
  assert.equal((await post(h, h.admin, `/api/admin/orders/${id}/refund`, {})).statusCode, 400, 'restock is required');
  const detail = await h.app.inject({ url: `/api/admin/orders/${id}`, headers: bearer(h.admin) });
  assert.equal(detail.statusCode, 200);
  assert.equal((detail.json() as AdminOrder).paymentStatus, 'CAPTURED');
  assert.equal((detail.json() as AdminOrder).userId, 'bob');
});

test("an order's detail lists the emails notifications sent about it, oldest first; a notifications that fails leaves them out, not the page", async (t) => {
  const h = await startOrders();
  t.after(() => h.close());
  const id = await confirmedOrder(h, 'alice');
  const email = (kind: Email['kind'], status: Email['status'], at: string): Email => ({
    id: `evt-${kind}`, kind, orderId: id, to: 'alice@example.test', subject: `${kind} ${id}`, text: '', html: '', messageId: `<${kind}@bazaar>`,
    status, attempts: 1, nextAttemptAt: at, lastError: null, smtpResponse: null, createdAt: at, sentAt: status === 'sent' ? at : null,
  });
  h.upstreams.emails.set(id, [email('order-confirmed', 'sent', '2026-12-05T10:00:00.000Z'), email('order-shipped', 'pending', '2026-12-05T11:00:00.000Z')]);
  const detail = (await h.app.inject({ method: 'GET', url: `/api/admin/orders/${id}`, headers: bearer(h.admin) })).json() as AdminOrder;
  assert.deepEqual(detail.emails?.map((e) => [e.kind, e.status, e.sentAt]), [['order-confirmed', 'sent', '2026-12-05T10:00:00.000Z'], ['order-shipped', 'pending', null]]);
  assert.equal(detail.paymentStatus, 'CAPTURED');
  assert.equal(h.upstreams.count('emails', id), 1, 'asked notifications once, for this order');

  h.upstreams.faults.emails = { fail: Infinity };
  const without = await h.app.inject({ method: 'GET', url: `/api/admin/orders/${id}`, headers: bearer(h.admin) });
  assert.equal(without.statusCode, 200, without.body);
  assert.equal((without.json() as AdminOrder).emails, undefined, 'unknown, not "none"');
  assert.equal((without.json() as AdminOrder).paymentStatus, 'CAPTURED');
  // The list of orders never asks (one call per row would make the page as slow as its slowest service).
  await h.app.inject({ method: 'GET', url: '/api/admin/orders', headers: bearer(h.admin) });
  assert.equal(h.upstreams.count('emails'), 2);
});
