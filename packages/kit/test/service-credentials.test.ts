// Per-service credentials (issue 13, item 12; docs/adr/0090-per-service-credentials.md):
// the kit's one access hook verifies the caller's own credential against the
// digest the receiver holds, then checks the route names that caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Type } from 'typebox';
import { access, defineRoute } from '@bazaar/contracts';
import {
  ConfigError,
  OPERATOR,
  SERVICE_CREDENTIAL_HEADER,
  ServiceCredentialConfig,
  UpstreamError,
  configSchema,
  createServiceApp,
  createServiceClient,
  audienceSecret,
  callerDigest,
  credentialDigest,
  formatCallers,
  loadConfig,
  productionProblems,
  requireService,
  serve,
  serviceCredentials,
} from '../src/index.ts';
import { TEST_SERVICE_SECRET, testLogger } from '../src/testing.ts';

const capture = defineRoute({
  service: 'payments', method: 'POST', path: '/internal/things/:id/capture', access: access.service('orders'),
  summary: 'a money-moving route only orders may call', params: Type.Object({ id: Type.String() }), responses: { 200: Type.Object({ ok: Type.Boolean() }) }, errors: [401, 403],
});
const read = defineRoute({
  service: 'payments', method: 'GET', path: '/internal/things/:id', access: access.service('orders', OPERATOR),
  summary: 'a read the operator may do too', params: Type.Object({ id: Type.String() }), responses: { 200: Type.Object({ ok: Type.Boolean() }) }, errors: [401, 403],
});

const secret = () => randomBytes(32).toString('base64url');
const secrets = { orders: secret(), cart: secret(), [OPERATOR]: secret() };
/** payments as deployed: its own secret, and only its callers' digests. */
const paymentsEnv = {
  BAZAAR_SERVICE_CREDENTIAL: secret(),
  BAZAAR_SERVICE_CALLERS: formatCallers(Object.fromEntries(Object.entries(secrets).map(([name, s]) => [name, callerDigest(s, 'payments')]))),
};

async function payments() {
  const app = createServiceApp({ name: 'payments', logger: testLogger(), defaultMetrics: false, credentials: serviceCredentials('payments', paymentsEnv) });
  serve(app, capture, () => ({ ok: true }));
  serve(app, read, () => ({ ok: true }));
  await app.ready();
  return app;
}
const as = (value: string) => ({ [SERVICE_CREDENTIAL_HEADER]: value });
/** What a caller presents to payments: its name and its secret derived for payments. */
const to = (caller: keyof typeof secrets, audience = 'payments') => as(`${caller}:${audienceSecret(secrets[caller], audience)}`);

test('a route named caller with its own credential gets through; a known service the route does not name is 403', async () => {
  const app = await payments();
  assert.equal((await app.inject({ method: 'POST', url: '/internal/things/1/capture', headers: to('orders') })).statusCode, 200);
  const cart = await app.inject({ method: 'POST', url: '/internal/things/1/capture', headers: to('cart') });
  assert.equal(cart.statusCode, 403, 'cart holds a valid credential, but capture names orders only');
  assert.match(cart.headers['content-type'] as string, /^application\/problem\+json/);
  assert.match(cart.json().detail as string, /cart/);
  assert.equal((await app.inject({ method: 'POST', url: '/internal/things/1/capture', headers: to(OPERATOR) })).statusCode, 403, 'the operator cannot move money');
  assert.equal((await app.inject({ url: '/internal/things/1', headers: to(OPERATOR) })).statusCode, 200, 'the operator may read');
  await app.close();
});

test('a missing, malformed, unknown or wrong credential is 401, before the body is read', async () => {
  const app = await payments();
  const url = '/internal/things/1/capture';
  const cases: Record<string, Record<string, string>> = {
    missing: {},
    empty: as(''),
    'no name': as(audienceSecret(secrets.orders, 'payments')),
    'wrong secret': as(`orders:${secret()}`),
    "orders' own credential, not derived for payments": as(`orders:${secrets.orders}`),
    "what orders presents to inventory, replayed at payments": to('orders', 'inventory'),
    "cart's secret under orders' name": as(`orders:${audienceSecret(secrets.cart, 'payments')}`),
    'unknown service': as(`reports:${audienceSecret(secrets.orders, 'payments')}`),
    "payments' own credential under orders' name": as(`orders:${audienceSecret(paymentsEnv.BAZAAR_SERVICE_CREDENTIAL, 'payments')}`),
  };
  for (const [what, headers] of Object.entries(cases)) {
    const res = await app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: '{not json' });
    assert.equal(res.statusCode, 401, what);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/, what);
  }
  await app.close();
});

test("the receiver holds digests only, of secrets derived for it: nothing it holds or receives is good at another service", () => {
  for (const s of Object.values(secrets)) {
    assert.ok(!paymentsEnv.BAZAAR_SERVICE_CALLERS.includes(s));
    assert.ok(!paymentsEnv.BAZAAR_SERVICE_CALLERS.includes(audienceSecret(s, 'payments')));
    assert.notEqual(audienceSecret(s, 'payments'), audienceSecret(s, 'inventory'), 'one secret per callee');
    assert.equal(callerDigest(s, 'payments'), credentialDigest(audienceSecret(s, 'payments')));
  }
  assert.equal(credentialDigest('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'SHA-256, hex');
});

test('the client sends its own name and secret: orders gets through, cart is refused 403', async (t) => {
  const app = await payments();
  t.after(() => app.close());
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const client = (name: 'orders' | 'cart') =>
    createServiceClient({ name: 'payments', baseUrl: address, retries: 0, // name: the service called, for which the secret is derived
      credentials: serviceCredentials(name, { BAZAAR_SERVICE_CREDENTIAL: secrets[name], BAZAAR_SERVICE_CALLERS: '' }) });
  const orders = client('orders');
  const cart = client('cart');
  t.after(() => Promise.all([orders.close(), cart.close()]));
  assert.deepEqual((await orders.call(capture, { params: { id: '1' } })).body, { ok: true });
  await assert.rejects(cart.call(capture, { params: { id: '1' } }), (error: unknown) => error instanceof UpstreamError && error.upstreamStatus === 403);
});

test('BAZAAR_SERVICE_CALLERS that is not name:SHA-256 hex pairs is refused at start-up, naming the variable', () => {
  const schema = configSchema({ ...ServiceCredentialConfig });
  const config = loadConfig(schema, { PORT: '1', BAZAAR_SERVICE_CREDENTIAL: secret(), BAZAAR_SERVICE_CALLERS: 'orders:not-a-digest' });
  assert.throws(() => serviceCredentials('payments', config), /BAZAAR_SERVICE_CALLERS: "orders:not-a-digest" is not <caller name>:<SHA-256 hex/);
  assert.throws(() => serviceCredentials('payments', { ...config, BAZAAR_SERVICE_CALLERS: credentialDigest('x') }), /BAZAAR_SERVICE_CALLERS/, 'a digest without its name');
  assert.equal(serviceCredentials('payments', { ...config, BAZAAR_SERVICE_CALLERS: `orders:${credentialDigest('x')}, cart:${credentialDigest('y')}` }).callers.size, 2);
  assert.throws(() => loadConfig(schema, { PORT: '1', BAZAAR_SERVICE_CALLERS: '' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('BAZAAR_SERVICE_CREDENTIAL'));
  // Unset callers: nobody is accepted (closed by default).
  assert.equal(serviceCredentials('payments', loadConfig(schema, { PORT: '1', BAZAAR_SERVICE_CREDENTIAL: secret() })).callers.size, 0);
});

test('production refuses a short, non-random or repository credential, and callers accepted with a repository secret', () => {
  assert.deepEqual(productionProblems({ BAZAAR_SERVICE_CREDENTIAL: secret(), BAZAAR_SERVICE_CALLERS: paymentsEnv.BAZAAR_SERVICE_CALLERS }), []);
  for (const weak of ['short', 'a'.repeat(64), TEST_SERVICE_SECRET, `${TEST_SERVICE_SECRET}-${secret()}`]) {
    assert.deepEqual(productionProblems({ BAZAAR_SERVICE_CREDENTIAL: weak }).map((p) => p.variable), ['BAZAAR_SERVICE_CREDENTIAL'], weak);
  }
  const testCaller = `orders:${callerDigest(TEST_SERVICE_SECRET, 'payments')}`;
  const problems = productionProblems({ BAZAAR_SERVICE_CALLERS: testCaller });
  assert.deepEqual(problems.map((p) => p.variable), ['BAZAAR_SERVICE_CALLERS']);
  assert.match(problems[0]?.message ?? '', /orders/);
  assert.deepEqual(productionProblems({ BAZAAR_SERVICE_CALLERS: 'orders:x' }).map((p) => p.variable), ['BAZAAR_SERVICE_CALLERS']);
});

test('requireService works as a route preHandler too (stand-ins): 200 for a named caller, 403 another service, 401 none', async (t) => {
  const app = createServiceApp({ name: 'payments', logger: testLogger(), defaultMetrics: false });
  t.after(() => app.close());
  app.register(async (scope) => {
    scope.get('/internal/thing', { preHandler: requireService(serviceCredentials('payments', paymentsEnv), ['orders']) }, async () => ({ ok: true }));
  });
  assert.equal((await app.inject({ url: '/internal/thing', headers: to('orders') })).statusCode, 200);
  assert.equal((await app.inject({ url: '/internal/thing', headers: to('cart') })).statusCode, 403);
  assert.equal((await app.inject({ url: '/internal/thing' })).statusCode, 401);
});
