// The checker logs everyone in again before it reads (issue 13 made access tokens live
// five minutes; a 10-minute run's settle found every shopper's token expired: 401).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { refreshLogins } from '../src/checker.ts';
import type { Shopper } from '../src/load.ts';

/** A stand-in for the gateway's login route: each login returns a new token; a wrong password answers 401. */
async function loginServer(passwords: Record<string, string>) {
  let issued = 0;
  const logins: string[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as { email?: string; password?: string };
      res.setHeader('content-type', 'application/json');
      if (req.url !== '/api/identity/login' || !body.email || passwords[body.email] !== body.password) {
        res.statusCode = 401;
        res.end('{}');
        return;
      }
      logins.push(body.email);
      res.end(JSON.stringify({ accessToken: `token-${++issued}-${body.email}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logins, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const shopper = (email: string): Shopper => ({ email, password: `pw-${email}`, token: 'expired', busy: false, keys: new Map() });

test('refreshLogins gives every shopper and the admin a new token, at most once a minute', async (t) => {
  const srv = await loginServer({ 'a@example.com': 'pw-a@example.com', 'b@example.com': 'pw-b@example.com', 'admin@bazaar.local': 'admin-pw' });
  t.after(srv.close);
  const input = { gatewayUrl: srv.url, shoppers: [shopper('a@example.com'), shopper('b@example.com')], admin: { email: 'admin@bazaar.local', password: 'admin-pw', token: 'expired' } } as {
    gatewayUrl: string;
    shoppers: Shopper[];
    admin: { email: string; password: string; token: string };
    loggedInAt?: number;
  };
  await refreshLogins(input, 1_000_000);
  assert.deepEqual(
    input.shoppers.map((s) => s.token),
    ['token-1-a@example.com', 'token-2-b@example.com'],
    'each shopper logged in again',
  );
  assert.equal(input.admin.token, 'token-3-admin@bazaar.local', 'the admin logged in again');
  await refreshLogins(input, 1_030_000);
  assert.equal(srv.logins.length, 3, 'no new logins 30 s later (the gateway allows 60 logins a minute)');
  await refreshLogins(input, 1_061_000);
  assert.equal(srv.logins.length, 6, 'a minute later: everyone again');
  assert.equal(input.admin.token, 'token-6-admin@bazaar.local');
});

test('refreshLogins fails loudly when a login is refused (the settle loop reports it and tries again)', async (t) => {
  const srv = await loginServer({ 'admin@bazaar.local': 'admin-pw' });
  t.after(srv.close);
  const input = { gatewayUrl: srv.url, shoppers: [shopper('a@example.com')], admin: { email: 'admin@bazaar.local', password: 'admin-pw', token: 'x' } };
  await assert.rejects(refreshLogins(input, 0), /login of a@example.com answered 401/);
});
