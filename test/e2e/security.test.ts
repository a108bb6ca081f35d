// The security suite (issue 13, items 1–13) against the real processes: one
// system started by the launcher for the whole file, with TLS at the gateway
// and one trusted proxy hop, so a test can speak from several client
// addresses (X-Forwarded-For). Start-up refusals (production switch, deny by
// default) spawn the service alone and read why it stopped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portBaseFor, startSystem, until, type RunningSystem } from '../../tools/launcher/src/harness.ts';
import { http } from './client.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PER_ACCOUNT_IP = 5;
const PER_ACCOUNT_ALL = 12;
const AUTH_PER_MIN = 40;
const work = mkdtempSync(join(tmpdir(), 'bazaar-security-'));
const portBase = portBaseFor(7);
const tlsPort = portBase + 87;
let system: RunningSystem;
let url: Record<string, string> = {};

before(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
  system = await startSystem({
    portBase,
    dataDir: join(work, 'data'),
    logDir: join(work, 'logs'),
    readyTimeoutMs: 300_000,
    env: {
      LOG_LEVEL: 'info',
      TRUST_PROXY_HOPS: '1',
      TLS_CERT_FILE: join(work, 'cert.pem'),
      TLS_KEY_FILE: join(work, 'key.pem'),
      TLS_PORT: String(tlsPort),
      RATE_LIMITS: `read=1000000/min,write=1000000/min,auth=${AUTH_PER_MIN}/min`,
      LOGIN_LIMIT_PER_ACCOUNT: `${PER_ACCOUNT_IP}/15m`,
      LOGIN_LIMIT_PER_ACCOUNT_ALL: `${PER_ACCOUNT_ALL}/15m`,
      LOGIN_LIMIT_PER_IP: '1000/15m',
      REVOCATION_POLL_MS: '300',
      // A shared, loaded machine: argon2 and start-up can be slow; the edge must not time out before identity answers.
      UPSTREAM_TIMEOUT_MS: '15000',
    },
  });
  url = Object.fromEntries((await system.services()).map((s) => [s.name, s.url]));
});

after(async () => {
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
});

const api = (path: string) => `${system.gatewayUrl}${path}`;
let addresses = 0;
/** A client address of its own (the gateway trusts one proxy hop, so X-Forwarded-For names the client). */
const newIp = () => `10.13.${Math.floor(++addresses / 250)}.${(addresses % 250) + 1}`;
let users = 0;

async function newUser(name: string): Promise<{ email: string; password: string }> {
  users += 1;
  const email = `${name}${users}-${process.pid}@example.com`;
  const password = 'correct horse battery staple';
  const res = await http(api('/api/identity/register'), { method: 'POST', body: { email, password, name }, headers: { 'x-forwarded-for': newIp() } });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return { email, password };
}

async function login(creds: { email: string; password: string }, ip: string, raw?: string) {
  return http<{ accessToken: string; refreshToken: string; code?: string }>(api('/api/identity/login'), {
    method: 'POST',
    ...(raw === undefined ? { body: creds } : { rawBody: raw }),
    headers: { 'x-forwarded-for': ip },
  });
}

/** Run a service's entry point alone with `env`; resolves with its exit code and output once it exits. */
function runAlone(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, entry)], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ADMIN_PORT: '0', LOG_LEVEL: 'info', BAZAAR_DATA_DIR: join(work, 'alone'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not exit within 180 s (it should refuse to start):\n${output}`));
    }, 180_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Send a request with the raw header lines given (e.g. two Authorization lines). */
function rawRequest(target: string, headers: [string, string][], method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A raw header list (Node sends it as given, so the Host header must be in it).
    const raw = [['host', new URL(target).host], ...headers].flat();
    const req = httpRequest(target, { method, headers: raw as unknown as Record<string, string> }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('1. login throttle: a body behind a UTF-8 BOM is counted like any other; a body naming no account is refused at the edge', async () => {
  const victim = await newUser('bom');
  const ip = newIp();
  for (let i = 0; i < PER_ACCOUNT_IP; i++) assert.equal((await login({ ...victim, password: `wrong guess ${i}` }, ip)).status, 401);
  const behindBom = await login(victim, ip, `\uFEFF${JSON.stringify(victim)}`);
  assert.equal(behindBom.status, 429, `the right password behind a BOM must not pass the lock: ${JSON.stringify(behindBom.body)}`);
  assert.equal(behindBom.body.code, 'LOGIN_THROTTLED');

  // Read exactly as identity reads it: a BOM body from a clean address logs in.
  const other = await newUser('bomok');
  assert.equal((await login(other, newIp(), `\uFEFF${JSON.stringify(other)}`)).status, 200);
  // Fail closed: no readable email, no forwarding.
  const unreadable = await login(other, newIp(), '{"mail": "x", "password": "y"}');
  assert.equal(unreadable.status, 400);
  assert.equal(unreadable.body.code, 'LOGIN_UNREADABLE');
});

test('2. production switch: default admin password, weak or repository service credential, an edge without TLS or trusted proxy: the process refuses to start', async () => {
  const strong = 'Vx9kQ2mZr7LtB4nH8sYcW1pJd6fGa3eU5oRiT0qNzKb';
  const callers = `orders:${'5a'.repeat(32)}`;
  const [admin, token, edge, sqlite] = await Promise.all([
    runAlone('services/identity/src/main.ts', { BAZAAR_ENV: 'production', BAZAAR_POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432' }),
    runAlone('services/payments/src/main.ts', { BAZAAR_ENV: 'production', BAZAAR_SERVICE_CREDENTIAL: 'compose-only-service-token-change-me', BAZAAR_SERVICE_CALLERS: callers, BAZAAR_POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432' }),
    runAlone('services/gateway/src/main.ts', { BAZAAR_ENV: 'production', BAZAAR_UPSTREAMS: '' }),
    runAlone('services/catalog/src/main.ts', { BAZAAR_ENV: 'production', BAZAAR_SERVICE_CREDENTIAL: strong, BAZAAR_SERVICE_CALLERS: callers }),
  ]);
  assert.notEqual(admin.code, 0);
  assert.match(admin.output, /ADMIN_PASSWORD/);
  assert.notEqual(token.code, 0);
  assert.match(token.output, /BAZAAR_SERVICE_CREDENTIAL/);
  assert.notEqual(edge.code, 0);
  assert.match(edge.output, /TRUST_PROXY_HOPS/);
  assert.notEqual(sqlite.code, 0, 'no PostgreSQL in production: refused rather than one SQLite file per pod');
  assert.match(sqlite.output, /BAZAAR_POSTGRES_URL/);
});

test('3. the auth rate-limit class is per address even with a valid token attached', async () => {
  const user = await newUser('ratelimit');
  const token = (await login(user, newIp())).body.accessToken;
  const ip = newIp();
  let limited = 0;
  for (let i = 0; i < AUTH_PER_MIN + 5; i++) {
    const res = await http(api('/api/identity/refresh'), { method: 'POST', body: { refreshToken: `not-a-token-${i}` }, headers: { 'x-forwarded-for': ip } });
    if (res.status === 429) limited += 1;
  }
  assert.ok(limited > 0, 'the address ran out of auth budget');
  // The bucket refills (one token per 1.5 s), so a slow machine may let one through; a fresh per-user budget would let all through.
  const withToken = await Promise.all(
    Array.from({ length: 5 }, () => http(api('/api/identity/refresh'), { method: 'POST', body: { refreshToken: 'not-a-token' }, token, headers: { 'x-forwarded-for': ip } })),
  );
  assert.ok(withToken.filter((r) => r.status === 429).length >= 4, `a token must not buy a fresh budget: ${withToken.map((r) => r.status).join(' ')}`);
});

test('4. two Authorization headers: 400 at the gateway and at a service', async () => {
  const user = await newUser('twoauth');
  const token = (await login(user, newIp())).body.accessToken;
  const headers: [string, string][] = [['authorization', `Bearer ${token}`], ['authorization', 'Bearer forged']];
  const edge = await rawRequest(api('/api/identity/me'), headers);
  assert.equal(edge.status, 400, edge.body);
  assert.match(edge.body, /DUPLICATE_HEADER/);
  const direct = await rawRequest(`${url.identity}/api/identity/me`, headers);
  assert.equal(direct.status, 400, direct.body);
  assert.match(direct.body, /DUPLICATE_HEADER/);
});

test('5. logout revokes the session: the refresh token stops at once, the access token at the edge within a poll', async () => {
  const user = await newUser('logout');
  const pair = (await login(user, newIp())).body;
  assert.equal((await http(api('/api/identity/me'), { token: pair.accessToken })).status, 200);
  assert.equal((await http(api('/api/identity/logout'), { method: 'POST', body: { refreshToken: pair.refreshToken } })).status, 204);
  assert.equal((await http(api('/api/identity/refresh'), { method: 'POST', body: { refreshToken: pair.refreshToken } })).status, 401);
  const refused = await until('the gateway to refuse the logged-out access token', 20_000, async () => {
    const res = await http(api('/api/identity/me'), { token: pair.accessToken });
    return res.status === 401 ? res : undefined;
  });
  assert.match(String(refused.body.detail), /session/);
  // Another session of the same user is untouched.
  const other = (await login(user, newIp())).body;
  assert.equal((await http(api('/api/identity/me'), { token: other.accessToken })).status, 200);
});

test('6. TLS: AEAD-only TLS 1.2 suites, HTTP/2 limits, and a trickled request is cut like on plain HTTP', async () => {
  const handshake = (ciphers: string) =>
    new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers }, () => {
        const name = socket.getCipher().name;
        socket.end();
        resolve(name);
      });
      socket.on('error', () => resolve('refused'));
    });
  assert.equal(await handshake('ECDHE-ECDSA-AES128-SHA'), 'refused', 'a CBC suite is refused');
  assert.equal(await handshake('ECDHE-ECDSA-AES128-GCM-SHA256'), 'ECDHE-ECDSA-AES128-GCM-SHA256');

  const session = h2connect(`https://127.0.0.1:${tlsPort}`, { rejectUnauthorized: false });
  const settings = await new Promise<{ maxConcurrentStreams?: number }>((resolve, reject) => {
    session.once('remoteSettings', resolve);
    session.once('error', reject);
  });
  session.close();
  assert.equal(settings.maxConcurrentStreams, 100);

  // Slowloris over TLS: one header byte every second never completes a request; the server must hang up
  // (after its 10 s header deadline) long before this 40-byte trickle ends.
  const closedEarly = await new Promise<boolean>((resolve) => {
    const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const line = 'GET /healthz HTTP/1.1\r\nhost: localhost\r\nx-a: ';
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return;
        if (i < line.length) socket.write(line[i++] as string);
        else {
          clearInterval(timer);
          socket.destroy();
          resolve(false);
        }
      }, 1000);
      socket.once('close', () => {
        clearInterval(timer);
        resolve(i < line.length);
      });
    });
    socket.on('error', () => undefined);
  });
  assert.ok(closedEarly, 'the server closed the trickling TLS connection');
});

test('7. per-route body limits and a JSON depth limit, at the edge and at the service', async () => {
  const user = await newUser('bodies');
  const token = (await login(user, newIp())).body.accessToken;
  const big = JSON.stringify({ quantity: 1, pad: 'x'.repeat(6000) });
  const atEdge = await http(api('/api/cart/items/p-1'), { method: 'PUT', rawBody: big, token });
  assert.equal(atEdge.status, 413);
  const atService = await http(`${url.cart}/api/cart/items/p-1`, { method: 'PUT', rawBody: big, token });
  assert.equal(atService.status, 413, 'the cart itself holds the line to a few KB');
  const deep = `${'['.repeat(200)}${']'.repeat(200)}`;
  const nested = await http(`${url.cart}/api/cart/items/p-1`, { method: 'PUT', rawBody: `{"quantity":${deep}}`, token });
  assert.equal(nested.status, 400);
  assert.equal(nested.body.code, 'JSON_TOO_DEEP');
  const nestedEdge = await http(api('/api/cart/items/p-1'), { method: 'PUT', rawBody: `{"quantity":${deep}}`, token });
  assert.equal(nestedEdge.body.code, 'JSON_TOO_DEEP');
});

test('8. lockout is not a denial of service: failures lock the guessing address; past the account budget only known-good addresses get in', async () => {
  const victim = await newUser('lockout');
  const home = newIp();
  assert.equal((await login(victim, home)).status, 200, 'the victim logs in from home: a known-good address');
  // Guesses from several addresses until the account's overall budget is spent.
  const attackers = Array.from({ length: Math.ceil(PER_ACCOUNT_ALL / PER_ACCOUNT_IP) + 1 }, newIp);
  for (const ip of attackers) for (let i = 0; i < PER_ACCOUNT_IP; i++) await login({ ...victim, password: `guess ${i}` }, ip);
  assert.equal((await login(victim, attackers[0] as string)).status, 429, 'the guessing address is locked out, even with the right password');
  assert.equal((await login(victim, home)).status, 200, 'the victim still gets in from home');
  assert.equal((await login(victim, newIp())).status, 429, 'an unknown address waits while the account is under attack');
});

test('9. registration does not tell whether an email has an account', async () => {
  const user = await newUser('enum');
  const again = await http(api('/api/identity/register'), { method: 'POST', body: { ...user, password: 'another long passphrase', name: 'X' }, headers: { 'x-forwarded-for': newIp() } });
  const fresh = await http(api('/api/identity/register'), { method: 'POST', body: { email: `nobody-${process.pid}@example.com`, password: 'another long passphrase', name: 'X' }, headers: { 'x-forwarded-for': newIp() } });
  assert.equal(again.status, 202);
  assert.equal(fresh.status, 202);
  assert.deepEqual(Object.keys(again.body).sort(), Object.keys(fresh.body).sort());
  assert.equal(again.body.message, fresh.body.message);
});

test('10. services log the route pattern and mask card-like digits; never the query', async () => {
  const pan = '4242424242424242';
  await http(api(`/api/catalog/products/${pan}?card=${pan}`));
  const log = await until('catalog to log the request', 15_000, () => {
    const text = readFileSync(join(work, 'logs', 'catalog.log'), 'utf8');
    return text.includes('/api/catalog/products/[redacted]') ? text : undefined;
  });
  assert.ok(!log.includes(pan), 'no card number in the service log');
  assert.match(log, /"route":"\/api\/catalog\/products\/:id"/);
});

test('11. /metrics, /readyz and /openapi.json are on the admin listener only; /docs stays public', async () => {
  for (const path of ['/metrics', '/readyz', '/openapi.json']) assert.equal((await fetch(api(path))).status, 404, path);
  assert.equal((await fetch(api('/docs'))).status, 200);
  assert.equal((await fetch(api('/healthz'))).status, 200);
  const admin = `http://127.0.0.1:${portBase + 85}`;
  const metrics = await fetch(`${admin}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /gateway_upstream_instance_available/);
  assert.equal((await fetch(`${admin}/readyz`)).status, 200);
});

test("12. each service calls with its own credential: cart's cannot capture or refund at payments, orders' can; what a service receives is no good elsewhere", async () => {
  const payments = url.payments as string;
  const orderId = `sec12-${process.pid}`;
  const post = (path: string, headers: Record<string, string>) => http<{ code?: string; detail?: string }>(`${payments}${path}`, { method: 'POST', body: {}, headers });
  for (const action of ['capture', 'refund', 'void']) {
    const asCart = await post(`/internal/payments/${orderId}/${action}`, system.callAs('payments', 'cart'));
    assert.equal(asCart.status, 403, `cart on ${action}: ${JSON.stringify(asCart.body)}`);
    assert.match(asCart.body.detail ?? '', /cart/);
    assert.equal((await post(`/internal/payments/${orderId}/${action}`, system.callAs('payments'))).status, 403, `the operator on ${action}`);
    // orders is the route's caller: its credential passes, and the answer is about the payment (there is none).
    const asOrders = await post(`/internal/payments/${orderId}/${action}`, system.callAs('payments', 'orders'));
    assert.equal(asOrders.status, 404, `orders on ${action}: ${JSON.stringify(asOrders.body)}`);
  }
  assert.equal((await post('/internal/payments/authorize', system.callAs('payments', 'cart'))).status, 403, 'cart cannot authorize a charge');
  // The operator's tools may read a payment, not move money.
  assert.equal((await http(`${payments}/internal/payments/${orderId}`, { headers: system.callAs('payments') })).status, 404);

  // A compromised payments holds only digests, and what orders presents to it is derived for payments alone:
  // replayed at inventory or cart (whose routes name orders), it is refused.
  const pid = (await system.service('payments')).pid as number;
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
  const ordersMaster = JSON.parse(readFileSync(join(work, 'data', 'credentials.json'), 'utf8')).orders as string;
  assert.ok(!environ.includes(ordersMaster), "payments' environment does not hold orders' credential");
  const seenByPayments = system.callAs('payments', 'orders');
  assert.ok(!environ.includes((seenByPayments['x-bazaar-service-credential'] as string).split(':')[1] as string), 'nor what orders presents to it');
  const replay = (service: string, path: string) => http(`${url[service] as string}${path}`, { headers: seenByPayments });
  assert.equal((await replay('inventory', `/internal/inventory/reservations/${orderId}`)).status, 401, "orders' payments credential replayed at inventory");
  assert.equal((await replay('cart', '/internal/carts/someone')).status, 401, "orders' payments credential replayed at cart");
  assert.equal((await http(`${url.inventory as string}/internal/inventory/reservations/${orderId}`, { headers: system.callAs('inventory', 'orders') })).status, 404, "orders' own credential for inventory passes");
  assert.equal((await http(`${url.cart as string}/internal/carts/someone`, { headers: system.callAs('cart', 'payments') })).status, 403, 'payments is a service, but not one the cart route names');

  // No credential, a forged one, and the retired shared-token header: 401.
  assert.equal((await post(`/internal/payments/${orderId}/capture`, {})).status, 401);
  assert.equal((await post(`/internal/payments/${orderId}/capture`, { 'x-bazaar-service-credential': `orders:${'x'.repeat(43)}` })).status, 401);
  assert.equal((await post(`/internal/payments/${orderId}/capture`, { 'x-bazaar-service-token': ordersMaster })).status, 401);
});

test('13. deny by default: an area without descriptors stops the gateway; personal answers are no-store; the launcher refuses cross-site POSTs', async () => {
  const unknownArea = await runAlone('services/gateway/src/main.ts', { BAZAAR_UPSTREAMS: 'nosuch=http://127.0.0.1:1' });
  assert.notEqual(unknownArea.code, 0);
  assert.match(unknownArea.output, /no route descriptors for the area\(s\) nosuch/);

  const user = await newUser('nostore');
  const token = (await login(user, newIp())).body.accessToken;
  for (const path of ['/api/identity/me', '/api/cart', '/api/orders']) {
    const res = await fetch(api(path), { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('cache-control'), 'no-store', path);
  }

  const forged = await fetch(`${system.controlUrl}/api/services/notifications/stop`, { method: 'POST', headers: { origin: 'https://evil.example' } });
  assert.equal(forged.status, 403);
  assert.equal((await system.service('notifications')).state, 'ready');
});
