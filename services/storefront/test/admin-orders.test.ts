// The back office's order pages against a stand-in shop API: who may see them, the filters, the
// ship and refund forms (CSRF, field errors, confirmation) and what the admin reads when orders or payments refuse or fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { testLogger } from '@bazaar/kit/testing';
import { UpstreamError } from '@bazaar/kit';
import type { AdminListOrdersQuery, AdminOrder, RefundOrderRequest, ShipOrderRequest } from '@bazaar/contracts/orders';
import { createSessions } from '../src/session.ts';
import { storefrontUnderTest } from './helpers.ts';
import type { ShopApi } from '../src/upstream/shop.ts';

const order: AdminOrder = {
  id: '7c1d2e3f-0000-4000-8000-000000000001',
  userId: 'u-sam',
  status: 'CONFIRMED',
  items: [{ productId: 'p1', name: 'Desk <Lamp>', quantity: 2, unitPrice: { amount: 2599, currency: 'EUR' }, lineTotal: { amount: 5198, currency: 'EUR' } }],
  total: { amount: 5198, currency: 'EUR' },
  createdAt: '2026-12-01T10:00:00.000Z',
  customer: { email: 'sam@example.test', name: 'Sam' },
  shippingAddress: { name: 'Sam', line1: '1 Main Street', city: 'Lyon', postalCode: '69001', country: 'FR' },
  paymentStatus: 'CAPTURED',
};

const calls: { list: AdminListOrdersQuery[]; ship: ShipOrderRequest[]; refund: RefundOrderRequest[] } = { list: [], ship: [], refund: [] };
let failNext: UpstreamError | undefined;
const fail = () => {
  const error = failNext;
  failNext = undefined;
  if (error) throw error;
};
const api = {
  categories: async () => [],
  adminOrders: async (_caller: unknown, query: AdminListOrdersQuery) => (calls.list.push(query), { items: [order], nextCursor: 'next-1' }),
  adminOrder: async (_caller: unknown, id: string) => {
    if (id !== order.id) throw new UpstreamError('gateway (orders)', 404, { code: 'ORDER_NOT_FOUND' });
    return order;
  },
  shipOrder: async (_caller: unknown, _id: string, body: ShipOrderRequest) => (calls.ship.push(body), fail(), { ...order, status: 'SHIPPED' }),
  refundOrder: async (_caller: unknown, _id: string, body: RefundOrderRequest) => (calls.refund.push(body), fail(), { ...order, status: 'REFUNDED' }),
} as unknown as ShopApi;

const { app, sessions: repo } = await storefrontUnderTest(api);

/** A signed-in browser: its session cookie, as the storefront sets it at sign-in. */
async function signedIn(roles: string[]): Promise<string> {
  const sessions = createSessions({ repo, api, ttlSeconds: 3600, logger: testLogger() });
  let id = '';
  const request = { cookies: {}, headers: {}, protocol: 'http' } as unknown as FastifyRequest;
  const reply = { setCookie: (_name: string, value: string) => ((id = value), reply) } as unknown as FastifyReply;
  await sessions.signIn(request, reply, { accessToken: 'a', refreshToken: 'r', tokenType: 'Bearer', expiresIn: 900 }, { id: 'u', email: 'u@example.test', name: 'U', roles });
  return `bazaar_session=${id}`;
}
const admin = await signedIn(['customer', 'admin']);
const customer = await signedIn(['customer']);

/** GET the order page as the admin; its CSRF token and the cookies to post with. */
async function orderPage(): Promise<{ csrf: string; cookie: string; body: string }> {
  const res = await app.inject({ url: `/admin/orders/${order.id}`, headers: { cookie: admin } });
  assert.equal(res.statusCode, 200, res.body);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? '';
  const cookie = [admin, ...res.cookies.map((c) => `${c.name}=${c.value}`)].join('; ');
  return { csrf, cookie, body: res.body };
}
const post = async (url: string, fields: Record<string, string>, withToken = true) => {
  const page = await orderPage();
  const payload = new URLSearchParams({ ...(withToken ? { _csrf: page.csrf } : {}), ...fields }).toString();
  return app.inject({ method: 'POST', url, headers: { cookie: page.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
};

test('order pages: anonymous → sign in, a customer → 403, an admin sees them; an unknown order is a 404 page', async () => {
  for (const url of ['/admin/orders', `/admin/orders/${order.id}`]) {
    const anonymous = await app.inject({ url });
    assert.equal(anonymous.statusCode, 303);
    assert.match(String(anonymous.headers.location), /^\/account\/login\?next=/);
    assert.equal((await app.inject({ url, headers: { cookie: customer } })).statusCode, 403);
  }
  const anonymousPost = await app.inject({ method: 'POST', url: `/admin/orders/${order.id}/refund`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'restock=on&confirm=yes' });
  assert.ok([303, 403].includes(anonymousPost.statusCode), `an anonymous post is refused (${anonymousPost.statusCode})`);
  assert.equal(calls.refund.length, 0);
  const missing = await app.inject({ url: '/admin/orders/nope', headers: { cookie: admin } });
  assert.equal(missing.statusCode, 404);
  assert.match(missing.body, /No order has this id/);
});

test('the list passes status, customer and dates to orders, pages with the same filters, and says what is wrong with a filter', async () => {
  calls.list.length = 0;
  const res = await app.inject({ url: '/admin/orders?status=CONFIRMED&customer=u-sam&from=2026-12-01&to=2026-12-31', headers: { cookie: admin } });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(calls.list, [{ limit: 25, status: 'CONFIRMED', userId: 'u-sam', from: '2026-12-01', to: '2026-12-31' }]);
  assert.match(res.body, /sam@example\.test/);
  assert.match(res.body, /href="\/admin\/orders\?status=CONFIRMED&amp;customer=u-sam&amp;from=2026-12-01&amp;to=2026-12-31&amp;cursor=next-1"/);
  const bad = await app.inject({ url: '/admin/orders?status=LOST&from=31/12/2026', headers: { cookie: admin } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /Choose a status from the list/);
  assert.match(bad.body, /must be a date like 2026-12-31/);
  assert.equal(calls.list.length, 1, 'a bad filter is not sent to orders');
});

test('the detail shows the order (escaped) with a ship form and a refund form, each with a CSRF token', async () => {
  const { body } = await orderPage();
  assert.match(body, /Desk &lt;Lamp&gt;/);
  assert.match(body, /CAPTURED/);
  assert.match(body, /action="\/admin\/orders\/7c1d2e3f-0000-4000-8000-000000000001\/shipment"/);
  assert.match(body, /name="restock" value="on" checked/);
  assert.equal((body.match(/name="_csrf"/g) ?? []).length, 3, 'sign-out, ship and refund forms');
});

test('mark shipped: field errors beside the fields, a post without CSRF is refused, a good one redirects with a notice', async () => {
  calls.ship.length = 0;
  assert.equal((await post(`/admin/orders/${order.id}/shipment`, { carrier: 'DHL', trackingNumber: 'T1' }, false)).statusCode, 403);
  const invalid = await post(`/admin/orders/${order.id}/shipment`, { carrier: '', trackingNumber: '<x>' });
  assert.equal(invalid.statusCode, 422);
  assert.match(invalid.body, /Enter the carrier/);
  assert.match(invalid.body, /Enter the tracking number/);
  assert.equal(calls.ship.length, 0);
  const ok = await post(`/admin/orders/${order.id}/shipment`, { carrier: ' La Poste ', trackingNumber: 'LP 1-FR' });
  assert.equal(ok.statusCode, 303);
  assert.equal(ok.headers.location, `/admin/orders/${order.id}?notice=order-shipped`);
  assert.deepEqual(calls.ship, [{ carrier: 'La Poste', trackingNumber: 'LP 1-FR' }]);
  failNext = new UpstreamError('gateway (orders)', 409, { code: 'ALREADY_SHIPPED', detail: 'Order 7c1d was shipped with DHL, tracking T0.' });
  const conflict = await post(`/admin/orders/${order.id}/shipment`, { carrier: 'DHL', trackingNumber: 'T2' });
  assert.equal(conflict.statusCode, 409);
  assert.match(conflict.body, /was shipped with DHL, tracking T0/);
});

test('refund: only with the confirmation ticked; a payments failure says nothing was refunded; success redirects with a notice', async () => {
  calls.refund.length = 0;
  const unconfirmed = await post(`/admin/orders/${order.id}/refund`, { restock: 'on' });
  assert.equal(unconfirmed.statusCode, 422);
  assert.match(unconfirmed.body, /Tick the box to confirm the full refund/);
  assert.equal(calls.refund.length, 0);
  failNext = new UpstreamError('gateway (orders)', 502, { code: 'UPSTREAM_FAILED' });
  const failed = await post(`/admin/orders/${order.id}/refund`, { restock: 'on', confirm: 'yes', reason: 'broken' });
  assert.equal(failed.statusCode, 503);
  assert.match(failed.body, /Nothing was refunded and the order is unchanged/);
  const ok = await post(`/admin/orders/${order.id}/refund`, { confirm: 'yes' });
  assert.equal(ok.statusCode, 303);
  assert.equal(ok.headers.location, `/admin/orders/${order.id}?notice=order-refunded`);
  assert.deepEqual(calls.refund, [{ restock: true, reason: 'broken' }, { restock: false }]);
});
