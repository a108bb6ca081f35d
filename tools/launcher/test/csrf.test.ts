// The control API refuses cross-site POSTs (issue 13, item 13): a page on
// another origin must not be able to stop or restart services through the
// operator's browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createControlServer } from '../src/control.ts';
import { crossSite } from '../src/csrf.ts';

test('crossSite: another Origin or Sec-Fetch-Site is refused; same origin and tools without those headers are not', () => {
  const h = (headers: Record<string, string>) => ({ headers: { host: '127.0.0.1:8070', ...headers } });
  assert.equal(crossSite(h({})), undefined, 'curl');
  assert.equal(crossSite(h({ origin: 'http://127.0.0.1:8070', 'sec-fetch-site': 'same-origin' })), undefined);
  assert.match(crossSite(h({ origin: 'https://evil.example' })) ?? '', /Origin/);
  assert.match(crossSite(h({ origin: 'http://127.0.0.1:8071' })) ?? '', /Origin/);
  assert.match(crossSite(h({ 'sec-fetch-site': 'cross-site' })) ?? '', /Sec-Fetch-Site/);
  assert.match(crossSite(h({ 'sec-fetch-site': 'same-site' })) ?? '', /Sec-Fetch-Site/);
  assert.match(crossSite(h({ origin: 'null' })) ?? '', /Origin/);
});

test('the control server answers a cross-origin POST with 403 and does not act; a same-origin one reaches the action', async (t) => {
  const server = createControlServer({ processes: new Map(), gatewayUrl: 'http://127.0.0.1:1' });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const forged = await fetch(`${base}/api/services/payments/stop`, { method: 'POST', headers: { origin: 'https://evil.example' } });
  assert.equal(forged.status, 403);
  assert.match(((await forged.json()) as { detail: string }).detail, /evil\.example/);
  // Same origin (or no browser at all): the request reaches the action, here 404 for a service that does not exist.
  assert.equal((await fetch(`${base}/api/services/payments/stop`, { method: 'POST', headers: { origin: base } })).status, 404);
  assert.equal((await fetch(`${base}/api/services/payments/stop`, { method: 'POST' })).status, 404);
});
