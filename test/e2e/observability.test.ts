// Observability end to end, on the embedded default: a checkout through the
// gateway is ONE trace across every service it touched, events included; the
// operations dashboard (driven in Debian's Chromium) finds it by order id,
// tells the saga's story, and shows a frozen service go red in the topology
// while checkout stays green; and the telemetry outlives a launcher restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { portBaseFor, startSystem, until, type RunningSystem } from '../../tools/launcher/src/harness.ts';
import { http, signUp } from './client.ts';
import { checkoutTrace } from './traces.ts';

const CHROMIUM = '/usr/bin/chromium';
const work = mkdtempSync(join(tmpdir(), 'bazaar-otel-'));
const portBase = portBaseFor(7);
const address = { name: 'Sam Shopper', line1: '1 Market Street', city: 'Lyon', postalCode: '69001', country: 'FR' };
const card = { number: '4242424242424242', expMonth: 12, expYear: 2035, cvc: '123' };
let system: RunningSystem;
let browser: Browser | undefined;
let token = '';
let productId = '';
let first: { orderId: string; traceId: string; spans: number } | undefined;

// LOG_LEVEL info (the harness's default is warn): the log lines of a request are part of what is checked.
const start = () => startSystem({ portBase, dataDir: join(work, 'data'), logDir: join(work, 'logs'), readyTimeoutMs: 240_000, env: { LOG_LEVEL: 'info' } });
const api = (path: string) => `${system.gatewayUrl}${path}`;

before(async () => {
  system = await start();
  const email = `otel-${process.pid}@example.com`;
  const password = 'correct horse battery staple';
  token = await signUp(system.gatewayUrl, { email, password, name: 'Olga' });
  const page = await http<{ items: { id: string }[] }>(api('/api/catalog/products?limit=1'));
  productId = (page.body.items[0] as { id: string }).id;
  await until(`inventory to know ${productId}`, 20_000, async () => ((await http(api(`/api/inventory/${productId}`))).status === 200 ? true : undefined));
});

after(async () => {
  await browser?.close();
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Fill the cart and check out through the gateway; the order is confirmed. */
async function checkout(key: string): Promise<string> {
  // PUT is idempotent: like any client, try again on a 5xx (a busy machine can make the gateway time out).
  let put = await http(api(`/api/cart/items/${productId}`), { method: 'PUT', body: { quantity: 1 }, token });
  for (let attempt = 2; attempt <= 3 && put.status >= 500; attempt++) put = await http(api(`/api/cart/items/${productId}`), { method: 'PUT', body: { quantity: 1 }, token });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  // A busy machine can make the gateway give up before the saga ends (504) or orders answer 202 PENDING:
  // like any client, ask again with the same Idempotency-Key (never a second order), then wait for the outcome.
  let res = await http<{ orderId?: string; status?: string }>(api('/api/checkout'), { method: 'POST', token, headers: { 'idempotency-key': key, 'if-match': put.etag ?? '' }, body: { shippingAddress: address, card } });
  for (let attempt = 2; attempt <= 4 && res.status >= 500; attempt++) {
    res = await http<{ orderId?: string; status?: string }>(api('/api/checkout'), { method: 'POST', token, headers: { 'idempotency-key': key, 'if-match': put.etag ?? '' }, body: { shippingAddress: address, card } });
  }
  assert.ok(res.status === 201 || res.status === 202, JSON.stringify(res.body));
  const orderId = res.body.orderId as string;
  const final = await until(`order ${orderId} to finish`, 60_000, async () => {
    const order = await http<{ status: string }>(api(`/api/orders/${orderId}`), { token });
    return order.body.status && order.body.status !== 'PENDING' ? order.body.status : undefined;
  });
  assert.equal(final, 'CONFIRMED');
  // orders.order-confirmed empties the cart (an event): wait, so the next checkout starts from an empty cart.
  await until('the cart to be emptied', 20_000, async () => ((await http<{ items: unknown[] }>(api('/api/cart'), { token })).body.items.length === 0 ? true : undefined));
  return orderId;
}

test('a checkout through the gateway is one trace: gateway, orders, cart, inventory, payments, psp-sim, and the consumers of its events', { timeout: 300_000 }, async () => {
  // A fresh system is green: reports and search ask their producers' feeds while those still start, and
  // those refusals are start-up, not failures (CI: payments drawn amber for the first minute).
  const fresh = await http<{ edges: { from: string; to: string; errors: number }[] }>(`${system.controlUrl}/api/topology`);
  const failing = fresh.body.edges.filter((e) => e.errors > 0 && ['orders', 'payments', 'catalog', 'inventory'].includes(e.to));
  // Should it fail: which calls, when, and what they said, beside when the launcher saw each service ready.
  const why = async () => {
    const errors = await http<{ traces: { traceId: string }[] }>(`${system.controlUrl}/api/traces?status=error&limit=50`);
    const spans = await Promise.all(errors.body.traces.map(async (t) => (await http<{ spans: { service: string; name: string; kind: number; status: number; statusMessage: string | null; start: number; attributes: Record<string, unknown> }[] }>(`${system.controlUrl}/api/traces/${t.traceId}`)).body.spans));
    const services = await http<{ services: { name: string; firstReadyAt?: string }[] }>(`${system.controlUrl}/api/services`);
    const failed = spans.flat().filter((s) => s.kind === 2 && s.status === 2 && failing.some((e) => e.from === s.service && e.to === s.attributes['peer.service']));
    return JSON.stringify({ failed: failed.map((s) => ({ at: new Date(s.start).toISOString(), span: `${s.service} ${s.name}`, message: s.statusMessage, errorType: s.attributes['error.type'] })), ready: services.body.services.map((s) => `${s.name}@${s.firstReadyAt ?? '-'}`) });
  };
  assert.deepEqual(failing, [], `no failed calls into a service that started cleanly: ${JSON.stringify(fresh.body.edges)} ${failing.length ? await why() : ''}`);
  const orderId = await checkout(`otel-${process.pid}-1`);
  const spans = await checkoutTrace(system.controlUrl, orderId);
  first = { orderId, traceId: (spans[0] as { traceId: string }).traceId, spans: spans.length };
  // Log lines of that checkout carry its trace and span ids, and are found by them.
  const logs = await until('log lines of the trace', 20_000, async () => {
    const res = await http<{ lines: { service: string; traceId: string; spanId: string }[] }>(`${system.controlUrl}/api/logs?traceId=${first?.traceId}`);
    return res.body.lines.some((l) => l.service === 'orders') && res.body.lines.some((l) => l.service === 'notifications') ? res.body.lines : undefined;
  });
  const spanIds = new Set(spans.map((s) => s.spanId));
  for (const line of logs) assert.ok(spanIds.has(line.spanId), `a ${line.service} log line names a span of the trace (${line.spanId})`);
});

async function openBrowser(): Promise<Page> {
  await until(`Chromium at ${CHROMIUM} (the Debian package; .ci/run installs it)`, 5000, () => (existsSync(CHROMIUM) ? true : undefined));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
  return page;
}

test('the dashboard finds the trace by order id, tells the saga, and shows a frozen service red while checkout stays green', { timeout: 240_000 }, async () => {
  assert.ok(first, 'the first test placed an order');
  const page = await openBrowser();

  // Traces: search by order id, open the trace's waterfall.
  await page.goto(`${system.controlUrl}/traces`);
  await page.fill('input[name="orderId"]', first.orderId);
  await page.click('form.search button');
  await page.click(`tr[data-trace="${first.traceId}"] a`);
  await page.waitForURL(`**/traces/${first.traceId}`);
  for (const service of ['gateway', 'orders', 'cart', 'inventory', 'payments', 'psp-sim', 'notifications', 'reports', 'search']) {
    assert.ok((await page.locator(`.waterfall .row[data-service="${service}"]`).count()) > 0, `the waterfall shows ${service}`);
  }

  // The checkout's story: the saga's steps in order, the events, the email's sending.
  await page.goto(`${system.controlUrl}/orders`);
  await page.fill('input[name="orderId"]', first.orderId);
  await page.click('form.search button');
  // The search is a form GET: wait for the answer's timeline, not the page it was sent from (run 22 read an empty list).
  const orderId = first.orderId;
  await page.waitForURL((url) => url.pathname === '/orders' && url.searchParams.get('orderId') === orderId);
  await page.locator('#saga li').first().waitFor();
  const attempts = await page.locator('#saga li').evaluateAll((items) => items.map((li) => ({ step: li.getAttribute('data-step'), retried: li.classList.contains('error') })));
  // Each step once, in order; on a busy machine a call may time out and its step be tried again: the timeline
  // shows that attempt too (red, "retry"), before the one that went through.
  assert.deepEqual(attempts.filter((a) => !a.retried).map((a) => a.step), ['RESERVING', 'AUTHORIZING', 'CAPTURING', 'COMMITTING'], JSON.stringify(attempts));
  for (const [i, a] of attempts.entries()) if (a.retried) assert.equal(attempts[i + 1]?.step, a.step, `a retried attempt is followed by its step again: ${JSON.stringify(attempts)}`);
  await page.getByText('orders.order-confirmed').first().waitFor();

  // Chaos: freeze notifications from the page, with its confirmation.
  await page.goto(`${system.controlUrl}/chaos`);
  await page.click('tr[data-instance="notifications"] button:has-text("Freeze")');
  await page.click('dialog#confirm button[value="yes"]');
  await until('notifications to be frozen', 10_000, async () => ((await system.service('notifications')).state === 'frozen' ? true : undefined));
  try {
    // Checkout goes on while notifications is frozen.
    const during = await checkout(`otel-${process.pid}-2`);
    assert.ok(during);
    await page.goto(`${system.controlUrl}/`);
    // The topology (live over SSE) shows notifications down, and the path checkout takes healthy.
    await page.locator('.topology g.node[data-service="notifications"][data-state="down"]').waitFor();
    await page.locator('.topology g.edge[data-edge="gateway-orders"]').waitFor();
    const topology = JSON.stringify((await http(`${system.controlUrl}/api/topology`)).body);
    // The checkout path is not down: green, or amber when a call timed out and was retried — which a starved
    // two-core machine does to a 1 s per-attempt timeout (two busy CI runs saw one orders → payments timeout in
    // the last minute's window, 1 of 5 calls, and the checkout still confirmed). Red is what freezing shows.
    for (const service of ['gateway', 'orders', 'payments', 'inventory', 'psp-sim']) {
      const state = await page.locator(`.topology g.node[data-service="${service}"]`).getAttribute('data-state');
      assert.ok(state === 'up' || state === 'degraded', `${service} is not down (${state}); topology: ${topology}`);
    }
    for (const edge of ['gateway-orders', 'orders-payments', 'payments-psp-sim']) {
      const rate = Number(await page.locator(`.topology g.edge[data-edge="${edge}"]`).getAttribute('data-error-rate'));
      assert.ok(rate < 0.5, `${edge} mostly answers (error rate ${rate}); topology: ${topology}`);
    }
    // The topology is redrawn on every SSE update: read the colour again until it is the red one (a node
    // replaced between finding and reading it has no computed style: '' in a busy-machine run).
    const red = 'rgb(201, 42, 42)';
    const stroke = await until('notifications to be drawn red', 20_000, async () => {
      const now = await page.locator('.topology g.node[data-service="notifications"] rect').evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).stroke, undefined, { timeout: 5_000 }).catch(() => undefined);
      return now === red ? now : undefined;
    });
    assert.equal(stroke, red, 'notifications is drawn red');
  } finally {
    await http(`${system.controlUrl}/api/services/notifications/thaw`, { method: 'POST' });
  }
  await until('notifications to run again', 10_000, async () => ((await system.service('notifications')).state === 'ready' ? true : undefined));
});

test('the control API refuses cross-site POSTs', async () => {
  const res = await http(`${system.controlUrl}/api/services/search/restart`, { method: 'POST', headers: { origin: 'https://evil.example' } });
  assert.equal(res.status, 403);
  assert.equal((await system.service('search')).state, 'ready');
});

test('telemetry survives a restart of the launcher: the trace is still there', { timeout: 240_000 }, async () => {
  assert.ok(first, 'the first test placed an order');
  await system.stop();
  system = await start();
  const res = await http<{ spans: unknown[] }>(`${system.controlUrl}/api/traces/${first.traceId}`);
  assert.equal(res.status, 200);
  assert.ok(res.body.spans.length >= first.spans, `${res.body.spans.length} spans kept of ${first.spans}`);
});
