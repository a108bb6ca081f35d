/**
 * The invariant checker. It reads each service only through its own API
 * (public routes as the shopper or admin, internal read-only routes with the
 * service credential), never another service's database.
 */
import { call } from './http.ts';
import { login, type JourneyRecord, type Shopper } from './load.ts';

export interface InvariantResult {
  name: string;
  checked: number;
  violations: string[];
  /** Counted but tolerated (documented, e.g. a resend a receiver drops by Message-ID). */
  tolerated?: { what: string; count: number; examples: string[] };
}

export interface CheckInput {
  gatewayUrl: string;
  urls: { inventory: string; payments: string; pspSim: string; notifications: string; mailSink: string };
  /** The operator's credential header for one service: the checker reads payments, reservations and emails over /internal. */
  internalHeaders: (service: string) => Record<string, string>;
  /** The admin's login; its access token is refreshed before every check. */
  admin: { email: string; password: string; token: string };
  /** When refreshLogins last ran (the settle loop checks every 2 s; the gateway allows 60 logins a minute). */
  loggedInAt?: number;
  shoppers: Shopper[];
  journeys: JourneyRecord[];
  initialStock: Map<string, number>;
}

interface Order {
  id: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  total: { amount: number; currency: string };
  reason?: string | null;
}

/** GET that must answer 200 (retried a few times: the system may still be recovering). */
async function read<T>(url: string, init: { token?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
  let last = 0;
  for (let i = 0; i < 5; i++) {
    try {
      const res = await call<T>(url, init);
      if (res.status < 500) return res;
      last = res.status;
    } catch {
      last = 0;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`GET ${url} kept failing (${last || 'no answer'})`);
}

/** Every order of every shopper, as the shopper sees them. */
/** Pages of 100 orders one shopper may have: far beyond what a chaos run places (hundreds of checkouts over all shoppers). */
const MAX_ORDER_PAGES = 100;

async function allOrders(input: CheckInput): Promise<Map<string, { order: Order; shopper: Shopper }>> {
  const out = new Map<string, { order: Order; shopper: Shopper }>();
  for (const s of input.shoppers) {
    // Order history is paged (issue 11): every page, bounded by what a run can have placed.
    let cursor: string | null = null;
    for (let page = 1; ; page++) {
      if (page > MAX_ORDER_PAGES) throw new Error(`GET /api/orders as ${s.email}: more than ${MAX_ORDER_PAGES} pages`);
      const query: string = cursor === null ? 'limit=100' : `limit=100&cursor=${encodeURIComponent(cursor)}`;
      const res = await read<{ items: Order[]; nextCursor?: string | null }>(`${input.gatewayUrl}/api/orders?${query}`, { token: s.token });
      if (res.status !== 200) throw new Error(`GET /api/orders as ${s.email} answered ${res.status}`);
      for (const o of res.body.items) out.set(o.id, { order: o, shopper: s });
      cursor = res.body.nextCursor ?? null;
      if (cursor === null) break;
    }
  }
  return out;
}

/**
 * Log every shopper and the admin in again. Access tokens live minutes (issue 13)
 * and a long run's settle starts well after the logins of its start: a check
 * with an expired token reads 401s, not the system.
 */
export async function refreshLogins(input: Pick<CheckInput, 'gatewayUrl' | 'shoppers' | 'admin' | 'loggedInAt'>, now = Date.now()): Promise<void> {
  // Tokens live five minutes: one round of logins a minute is fresh enough and stays under the gateway's login rate limit.
  if (input.loggedInAt !== undefined && now - input.loggedInAt < 60_000) return;
  for (const s of input.shoppers) s.token = await login(input.gatewayUrl, s.email, s.password);
  input.admin.token = await login(input.gatewayUrl, input.admin.email, input.admin.password);
  input.loggedInAt = now;
}

/** Run every check once (after logging everyone in again). */
export async function checkInvariants(input: CheckInput): Promise<InvariantResult[]> {
  await refreshLogins(input);
  const internal = (service: string) => ({ headers: input.internalHeaders(service) });
  const orders = await allOrders(input);
  const results: InvariantResult[] = [];
  const ex = (list: string[], max = 3) => list.slice(0, max);

  // 1. Every order final.
  const pending = [...orders.values()].filter((o) => o.order.status === 'PENDING').map((o) => `${o.order.id} PENDING`);
  results.push({ name: 'every order final', checked: orders.size, violations: pending });

  // 2. One Idempotency-Key → one order: every retry answered the same order, and no shopper has more orders than keys that got one.
  const keyViolations: string[] = [];
  let keys = 0;
  for (const s of input.shoppers) {
    for (const [key, ids] of s.keys) {
      keys++;
      if (ids.size > 1) keyViolations.push(`key ${key} → ${[...ids].join(', ')}`);
    }
    const mine = [...orders.values()].filter((o) => o.shopper === s).length;
    if (mine > s.keys.size) keyViolations.push(`${s.email} has ${mine} orders for ${s.keys.size} keys`);
  }
  results.push({ name: 'one Idempotency-Key → one order', checked: keys, violations: keyViolations });

  // 3. Money: one capture of the right amount per CONFIRMED; nothing captured or held for a CANCELLED one.
  const money: string[] = [];
  const confirmedTotals = new Map<string, number>();
  for (const { order } of orders.values()) {
    if (order.status === 'PENDING') continue;
    const psp = await read<{ items: { status: string; amount: number; captures: number }[] }>(`${input.urls.pspSim}/admin/authorizations?idempotencyKey=${encodeURIComponent(order.id)}`);
    const pay = await read<{ status?: string; amount?: { amount: number } }>(`${input.urls.payments}/internal/payments/${order.id}`, internal('payments'));
    const auths = psp.body.items;
    if (order.status === 'CONFIRMED') {
      confirmedTotals.set(order.id, order.total.amount);
      const captured = auths.filter((a) => a.captures > 0);
      if (captured.length !== 1 || captured[0]?.captures !== 1 || captured[0]?.status !== 'captured') money.push(`CONFIRMED ${order.id}: PSP ${JSON.stringify(auths)}`);
      else if (captured[0].amount !== order.total.amount) money.push(`CONFIRMED ${order.id}: captured ${captured[0].amount}, order total ${order.total.amount}`);
      if (pay.body.status !== 'CAPTURED') money.push(`CONFIRMED ${order.id}: payments says ${pay.body.status ?? pay.status}`);
    } else {
      const open = auths.filter((a) => a.status === 'authorized' || a.status === 'captured');
      if (open.length > 0) money.push(`CANCELLED ${order.id}: PSP holds ${open.map((a) => a.status).join(', ')} (${order.reason ?? ''})`);
      if (pay.status === 200 && ['AUTHORIZED', 'CAPTURED', 'PENDING'].includes(pay.body.status ?? '')) money.push(`CANCELLED ${order.id}: payments says ${pay.body.status}`);
    }
  }
  results.push({ name: 'one capture per CONFIRMED, none held for CANCELLED', checked: orders.size, violations: money });

  // 4. Stock conserved: initial = available + committed, nothing left reserved, never negative.
  const committed = new Map<string, number>();
  const reserved: string[] = [];
  for (const { order } of orders.values()) {
    const r = await read<{ status?: string; items?: { productId: string; quantity: number }[] }>(`${input.urls.inventory}/internal/inventory/reservations/${order.id}`, internal('inventory'));
    if (r.status !== 200) {
      if (order.status === 'CONFIRMED') reserved.push(`CONFIRMED ${order.id} has no reservation`);
      continue;
    }
    if (r.body.status === 'RESERVED') reserved.push(`${order.status} ${order.id} still RESERVED`);
    if (r.body.status === 'COMMITTED') {
      if (order.status !== 'CONFIRMED') reserved.push(`${order.status} ${order.id} has COMMITTED stock`);
      for (const i of r.body.items ?? []) committed.set(i.productId, (committed.get(i.productId) ?? 0) + i.quantity);
    }
    if (order.status === 'CONFIRMED' && r.body.status !== 'COMMITTED') reserved.push(`CONFIRMED ${order.id} reservation ${r.body.status}`);
  }
  const stock: string[] = [...reserved];
  const available = new Map<string, number>();
  for (const [productId, initial] of input.initialStock) {
    const inv = await read<{ available: number }>(`${input.gatewayUrl}/api/inventory/${productId}`);
    available.set(productId, inv.body.available);
    const used = committed.get(productId) ?? 0;
    if (inv.body.available < 0) stock.push(`${productId} available ${inv.body.available} < 0`);
    if (inv.body.available + used !== initial) stock.push(`${productId}: initial ${initial} ≠ available ${inv.body.available} + committed ${used}`);
  }
  results.push({ name: 'stock conserved (initial = available + committed)', checked: input.initialStock.size, violations: stock });

  // 5. One email per outcome, delivered; resends of one Message-ID are counted apart (a receiver drops them).
  const mail: string[] = [];
  const resends: string[] = [];
  const sink = await read<{ messages: { messageId?: string }[] }>(`${input.urls.mailSink}/api/messages`);
  const delivered = new Map<string, number>();
  for (const m of sink.body.messages) if (m.messageId) delivered.set(m.messageId, (delivered.get(m.messageId) ?? 0) + 1);
  for (const { order } of orders.values()) {
    if (order.status === 'PENDING') continue;
    const res = await read<{ emails: { kind: string; status: string; messageId: string }[] }>(`${input.urls.notifications}/internal/emails?orderId=${order.id}`, internal('notifications'));
    const kind = order.status === 'CONFIRMED' ? 'order-confirmed' : 'order-cancelled';
    const emails = res.body.emails;
    if (emails.length !== 1 || emails[0]?.kind !== kind) {
      mail.push(`${order.status} ${order.id}: ${emails.length} emails (${emails.map((e) => e.kind).join(', ')})`);
      continue;
    }
    const email = emails[0];
    const copies = delivered.get(email.messageId) ?? 0;
    if (email.status !== 'sent' || copies === 0) mail.push(`${order.id}: email ${email.status}, ${copies} delivered`);
    else if (copies > 1) resends.push(`${email.messageId} × ${copies}`);
  }
  results.push({ name: 'one email per outcome', checked: orders.size, violations: mail, tolerated: { what: 'resends of one Message-ID', count: resends.length, examples: ex(resends) } });

  // 6. The sales report's totals equal the orders'.
  const report = await read<{ orders: number; grossRevenue: { amount: number } }>(`${input.gatewayUrl}/api/reports/sales`, { token: input.admin.token });
  if (report.status !== 200) throw new Error(`GET /api/reports/sales as the admin answered ${report.status}`);
  const wantRevenue = [...confirmedTotals.values()].reduce((a, b) => a + b, 0);
  const reportViolations =
    report.body.orders === confirmedTotals.size && report.body.grossRevenue.amount === wantRevenue
      ? []
      : [`report: ${report.body.orders} orders / ${report.body.grossRevenue.amount}; orders: ${confirmedTotals.size} CONFIRMED / ${wantRevenue}`];
  results.push({ name: "the sales report's totals equal the orders'", checked: 1, violations: reportViolations });

  // 7. Search's stock equals inventory's.
  const searchStock = new Map<string, number>();
  let cursor: string | null = null;
  do {
    const page: { body: { items: { id: string; available: number }[]; nextCursor: string | null } } = await read(`${input.gatewayUrl}/api/search?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const hit of page.body.items) searchStock.set(hit.id, hit.available);
    cursor = page.body.nextCursor;
  } while (cursor);
  const search: string[] = [];
  for (const [productId, units] of available) if (searchStock.get(productId) !== units) search.push(`${productId}: search ${searchStock.get(productId)}, inventory ${units}`);
  results.push({ name: "search's stock equals inventory's", checked: available.size, violations: search });

  // 8. No client saw a final status that later changed.
  const changed: string[] = [];
  let seen = 0;
  for (const j of input.journeys) {
    if (!j.final || !j.orderId) continue;
    seen++;
    const now = orders.get(j.orderId)?.order.status;
    if (now !== j.final.status) changed.push(`${j.orderId}: client saw ${j.final.status}, now ${now}`);
  }
  results.push({ name: 'no final status seen by a client changed', checked: seen, violations: changed });
  return results;
}
