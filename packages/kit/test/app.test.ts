import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { createServiceApp, defineErrors, type ServiceApp } from '../src/index.ts';
import { testLogger } from '../src/testing.ts';
import { logRequest } from '../src/logger.ts';

const errors = defineErrors({ WIDGET_NOT_FOUND: { status: 404, title: 'No such widget' } });

function build(opts: { ready?: () => void } = {}) {
  const app = createServiceApp({
    name: 'widgets',
    logger: testLogger(),
    defaultMetrics: false,
    bodyLimit: 1024,
    readiness: { store: opts.ready ?? (() => undefined) },
  });
  // Routes are registered as plugins (as services do), so the OpenAPI generator sees them.
  app.register(async (scope: ServiceApp) => {
  scope.post(
    '/widgets',
    { schema: { body: Type.Object({ name: Type.String({ minLength: 2 }), size: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }) } },
    async (request, reply) => reply.code(201).send({ name: request.body.name, size: request.body.size }),
  );
  scope.get('/widgets/:id', async (request) => {
    throw errors.WIDGET_NOT_FOUND(`No widget ${(request.params as { id: string }).id}`);
  });
  scope.get('/boom', async () => {
    throw new Error('secret internals');
  });
  });
  return app;
}

test('valid body passes the schema', async () => {
  const app = build();
  const res = await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'ab', size: 3 } });
  assert.equal(res.statusCode, 201);
  assert.deepEqual(res.json(), { name: 'ab', size: 3 });
});

test('malformed JSON is 400 problem+json, not 500', async () => {
  const app = build();
  const res = await app.inject({ method: 'POST', url: '/widgets', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
  assert.equal(res.statusCode, 400);
  assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body.code, 'MALFORMED_JSON');
  assert.equal(body.type, 'urn:bazaar:problem:malformed-json');
  assert.equal(body.status, 400);
  assert.ok(body.requestId);
});

test('schema violation is 400 naming every bad field', async () => {
  const app = build();
  const res = await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'a', size: 0 } });
  assert.equal(res.statusCode, 400);
  const body = res.json();
  assert.equal(body.code, 'VALIDATION_FAILED');
  const fields = body.errors.map((e: { field: string }) => e.field).sort();
  assert.deepEqual(fields, ['body.name', 'body.size']);
  const missing = await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'abc' } });
  assert.equal(missing.statusCode, 400);
  assert.match(missing.json().detail, /body\.size/);
});

test('oversized body is 413, unsupported media type 415', async () => {
  const app = build();
  const big = await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'x'.repeat(5000), size: 1 } });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().code, 'BODY_TOO_LARGE');
  const xml = await app.inject({ method: 'POST', url: '/widgets', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
  assert.equal(xml.statusCode, 415);
  assert.equal(xml.json().code, 'UNSUPPORTED_MEDIA_TYPE');
});

test('unknown route is 404 problem+json', async () => {
  const app = build();
  const res = await app.inject({ method: 'GET', url: '/nope?x=1' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().code, 'ROUTE_NOT_FOUND');
  assert.equal(res.json().instance, '/nope');
});

test('catalog errors render with their code and status', async () => {
  const app = build();
  const res = await app.inject({ method: 'GET', url: '/widgets/42' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().code, 'WIDGET_NOT_FOUND');
  assert.equal(res.json().detail, 'No widget 42');
});

test('unexpected errors are 500 without internals', async () => {
  const app = build();
  const res = await app.inject({ method: 'GET', url: '/boom' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json().code, 'INTERNAL');
  assert.doesNotMatch(res.body, /secret internals/);
});

test('healthz, readyz (with a failing check) and metrics', async () => {
  let up = true;
  const app = build({ ready: () => { if (!up) throw new Error('database is closed'); } });
  assert.equal((await app.inject('/healthz')).statusCode, 200);
  assert.equal((await app.inject('/readyz')).statusCode, 200);
  up = false;
  const down = await app.inject('/readyz');
  assert.equal(down.statusCode, 503);
  assert.equal(down.json().checks.store, 'database is closed');
  await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'ab', size: 3 } });
  const metrics = await app.inject('/metrics');
  assert.match(metrics.body, /http_requests_total\{method="POST",route="\/widgets",status="201",service="widgets"\} 1/);
  assert.match(metrics.body, /http_request_duration_seconds_count\{service="widgets",method="POST",route="\/widgets",status="201"\} 1/);
});

test('request id and trace id are taken from the caller and logged', async () => {
  const lines: string[] = [];
  const app = createServiceApp({ name: 'widgets', logger: (await import('../src/testing.ts')).testLogger(lines), defaultMetrics: false });
  app.get('/x', async () => ({ ok: true }));
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const res = await app.inject({ url: '/x', headers: { 'x-request-id': 'req-123', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  assert.equal(res.headers['x-request-id'], 'req-123');
  const access = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request');
  assert.equal(access.requestId, 'req-123');
  assert.equal(access.traceId, traceId);
  assert.equal(access.status, 200);
  assert.equal(access.route, '/x');
});

test("the access line is one JSON line naming the request's own span, with no secret", async () => {
  const lines: string[] = [];
  const app = createServiceApp({ name: 'widgets', logger: (await import('../src/testing.ts')).testLogger(lines), defaultMetrics: false });
  app.get('/cards/:number', async () => ({ ok: true }));
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const res = await app.inject({
    url: '/cards/4111111111111111?password=hunter2',
    headers: { 'x-request-id': 'req-9', traceparent: `00-${traceId}-00f067aa0ba902b7-01`, cookie: 'session=secret' },
  });
  assert.equal(res.statusCode, 200);
  const raw = lines.filter((l) => l.includes('"msg":"request"'));
  assert.equal(raw.length, 1);
  const line = JSON.parse(raw[0] as string);
  assert.equal(line.level, 'info');
  assert.equal(line.service, 'test');
  assert.equal(line.pid, process.pid);
  assert.ok(!Number.isNaN(Date.parse(line.time)));
  assert.equal(line.requestId, 'req-9');
  assert.equal(line.trace_id, traceId);
  assert.match(line.span_id, /^[0-9a-f]{16}$/);
  assert.notEqual(line.span_id, '00f067aa0ba902b7', "the service's own span, not the caller's");
  assert.equal(line.route, '/cards/:number');
  assert.equal(line.method, 'GET');
  assert.equal(typeof line.durationMs, 'number');
  for (const secret of ['4111111111111111', 'hunter2', 'password', 'session=secret']) assert.ok(!(raw[0] as string).includes(secret), `${secret} is not in the line`);
});

test('strings in the access line are escaped: every line parses as JSON', async () => {
  const lines: string[] = [];
  const logger = (await import('../src/testing.ts')).testLogger(lines);
  const odd = 'a"b\\c\nd\u2028e</script>';
  logRequest(logger, { requestId: odd, traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', method: 'GET', route: odd, path: odd, status: 404, durationMs: 1.5 });
  await new Promise((r) => setImmediate(r));
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0] as string);
  assert.deepEqual([line.requestId, line.route, line.path, line.status, line.durationMs], [odd, odd, odd, 404, 1.5]);
});

test('the access line is left out when the logger is above info', async () => {
  const lines: string[] = [];
  const logger = (await import('../src/testing.ts')).testLogger(lines);
  logger.level = 'warn';
  const app = createServiceApp({ name: 'widgets', logger, defaultMetrics: false });
  app.get('/x', async () => ({ ok: true }));
  assert.equal((await app.inject('/x')).statusCode, 200);
  assert.deepEqual(lines, []);
});

test("a handler's own lines name the request and its trace (through the logger's mixin, with no child logger per request)", async () => {
  const lines: string[] = [];
  const app = createServiceApp({ name: 'widgets', logger: (await import('../src/testing.ts')).testLogger(lines), defaultMetrics: false });
  app.get('/x', async (request) => {
    await new Promise((r) => setImmediate(r));
    request.log.info('inside');
    return { ok: true };
  });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await app.inject({ url: '/x', headers: { 'x-request-id': 'req-7', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  const inside = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'inside');
  assert.equal(inside.requestId, 'req-7');
  assert.equal(inside.trace_id, traceId);
  assert.match(inside.span_id, /^[0-9a-f]{16}$/);
});

test('the OpenAPI document lists routes with their schemas', async () => {
  const app = build();
  const doc = (await app.inject('/openapi.json')).json();
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/widgets'].post.requestBody);
  assert.equal(doc.paths['/healthz'], undefined);
});

test('unknown body fields are rejected, not silently dropped (regression: fastify strips them by default)', async () => {
  const app = build();
  const res = await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'ab', size: 3, admin: true } });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 'VALIDATION_FAILED');
  assert.match(res.json().detail, /additional properties/);
});

test('no fastify deprecation warnings are emitted when building an app', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => warnings.push(w.code ?? w.message);
  process.on('warning', onWarning);
  build();
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.deepEqual(warnings.filter((w) => w.startsWith('FSTDEP')), []);
});

test('body fields are not coerced: a string where an integer belongs is 400 (regression: ajv coerceTypes)', async () => {
  const app = build();
  const res = await app.inject({ method: 'POST', url: '/widgets', payload: { name: 'ab', size: '3' } });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().detail, /body\.size/);
});

test('schema defaults apply to query strings and bodies (regression: required-with-default fields were refused)', async () => {
  const app = createServiceApp({ name: 'defaults', logger: testLogger(), defaultMetrics: false });
  app.register(async (scope: ServiceApp) => {
    scope.post(
      '/things',
      {
        schema: {
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, default: 20 }) }),
          body: Type.Object({ ttl: Type.Integer({ default: 600 }), name: Type.String() }, { additionalProperties: false }),
        },
      },
      async (request) => ({ limit: request.query.limit, ttl: request.body.ttl }),
    );
  });
  const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x' } });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { limit: 20, ttl: 600 });
  const given = await app.inject({ method: 'POST', url: '/things?limit=5', payload: { name: 'x', ttl: 7 } });
  assert.deepEqual(given.json(), { limit: 5, ttl: 7 });
});

test('a query number that is not exactly the integer asked for is 400, not truncated (regression: "10.5" passed as 10)', async () => {
  const app = createServiceApp({ name: 'strict-query', logger: testLogger(), defaultMetrics: false });
  app.register(async (scope: ServiceApp) => {
    scope.get(
      '/things',
      { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1 }), price: Type.Optional(Type.Number()) }) } },
      async (request) => ({ limit: request.query.limit, price: request.query.price ?? null }),
    );
  });
  for (const bad of ['limit=10.5', 'limit=', 'limit=abc', 'limit=7&price=x']) {
    const res = await app.inject({ method: 'GET', url: `/things?${bad}` });
    assert.equal(res.statusCode, 400, `${bad} → ${res.body}`);
    assert.match(res.json().detail, /querystring\.(limit|price)/);
  }
  const ok = await app.inject({ method: 'GET', url: '/things?limit=10&price=2.5' });
  assert.deepEqual(ok.json(), { limit: 10, price: 2.5 });
});

test('router-level errors are problem+json too (regression: an over-long path parameter got fastify\'s own JSON)', async () => {
  const app = build();
  const res = await app.inject({ method: 'GET', url: `/widgets/${'x'.repeat(200)}` });
  assert.equal(res.statusCode, 414);
  assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
  assert.equal(res.json().status, 414);
});
