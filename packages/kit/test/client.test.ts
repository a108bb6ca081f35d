import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type } from 'typebox';
import { AppError, DEADLINE_HEADER, UpstreamError, createServiceClient, withContext } from '../src/index.ts';
import { captureSpans } from '../src/testing.ts';

/** A scripted upstream: each test sets what the next answers are. */
let server: Server;
let baseUrl = '';
let script: ((req: IncomingMessage) => { status: number; body?: unknown; delayMs?: number })[] = [];
let fallback: (req: IncomingMessage) => { status: number; body?: unknown; delayMs?: number } = () => ({ status: 200, body: { ok: true } });
const received: IncomingMessage[] = [];

before(async () => {
  server = createServer((req, res) => {
    received.push(req);
    const answer = (script.shift() ?? fallback)(req);
    req.resume();
    const timer = setTimeout(() => {
      res.writeHead(answer.status, { 'content-type': answer.status >= 400 ? 'application/problem+json' : 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    }, answer.delayMs ?? 0);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  script = [];
  received.length = 0;
  fallback = () => ({ status: 200, body: { ok: true } });
});

const problem = (status: number, detail: string) => ({ type: 'urn:x', title: 't', status, detail, code: 'X' });

test('GET is retried on a 503 and then succeeds', async () => {
  const client = createServiceClient({ name: 'up', baseUrl, retries: 2 });
  script = [() => ({ status: 503, body: problem(503, 'busy') }), () => ({ status: 200, body: { n: 1 } })];
  const res = await client.request({ method: 'GET', path: '/things' });
  assert.deepEqual(res.body, { n: 1 });
  assert.equal(received.length, 2);
  await client.close();
});

test('POST is not retried unless declared idempotent', async () => {
  const client = createServiceClient({ name: 'up', baseUrl, retries: 2 });
  fallback = () => ({ status: 503, body: problem(503, 'busy') });
  await assert.rejects(client.request({ method: 'POST', path: '/orders', body: { a: 1 } }), (error: unknown) => {
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.upstreamStatus, 503);
    return true;
  });
  assert.equal(received.length, 1);
  received.length = 0;
  await assert.rejects(client.request({ method: 'POST', path: '/orders', body: { a: 1 }, idempotent: true }));
  assert.equal(received.length, 3, 'first attempt + 2 retries');
  await client.close();
});

test('a 4xx is returned as an UpstreamError with the problem, never retried', async () => {
  const client = createServiceClient({ name: 'up', baseUrl, retries: 2 });
  script = [() => ({ status: 404, body: problem(404, 'no such product') })];
  await assert.rejects(client.request({ method: 'GET', path: '/products/x' }), (error: unknown) => {
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.upstreamStatus, 404);
    assert.equal(error.problem?.detail, 'no such product');
    return true;
  });
  assert.equal(received.length, 1);
  await client.close();
});

test('every attempt has a timeout; a slow upstream gives UPSTREAM_TIMEOUT', async () => {
  const client = createServiceClient({ name: 'slow', baseUrl, retries: 1, timeoutMs: 100 });
  // The upstream answers after 10 minutes: only the per-attempt timeout can end the call (no wall-time bound needed).
  fallback = () => ({ status: 200, body: {}, delayMs: 600_000 });
  await assert.rejects(client.request({ method: 'GET', path: '/slow' }), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'UPSTREAM_TIMEOUT');
    assert.equal(error.status, 504);
    return true;
  });
  assert.equal(received.length, 2);
  await client.close();
});

test('the breaker opens after consecutive failures and then fails fast without calling', async () => {
  const client = createServiceClient({ name: 'flaky', baseUrl, retries: 0, breakerThreshold: 3, breakerHalfOpenAfterMs: 200 });
  fallback = () => ({ status: 500, body: problem(500, 'boom') });
  for (let i = 0; i < 3; i++) await assert.rejects(client.request({ method: 'GET', path: '/x' }));
  assert.equal(received.length, 3);
  await assert.rejects(client.request({ method: 'GET', path: '/x' }), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
    assert.match(error.message, /circuit open/);
    return true;
  });
  assert.equal(received.length, 3, 'the open breaker did not call the upstream');
  const captured = captureSpans();
  await withContext({ requestId: 'r', traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: 1 }, () => assert.rejects(client.request({ method: 'GET', path: '/x' })));
  assert.deepEqual(
    captured.spans().map((s) => [s.name, s.attributes['error.type']]),
    [['GET flaky', 'circuit_open']],
    "the CLIENT span says the breaker refused (the dashboard's topology does not count it as a call)",
  );
  captured.clear();
  // After halfOpenAfter one trial call goes through; success closes the breaker.
  await new Promise((r) => setTimeout(r, 250));
  fallback = () => ({ status: 200, body: { ok: true } });
  const res = await client.request({ method: 'GET', path: '/x' });
  assert.equal(res.status, 200);
  await client.close();
});

test('a refused connection is UPSTREAM_UNAVAILABLE (503)', async () => {
  const client = createServiceClient({ name: 'gone', baseUrl: 'http://127.0.0.1:1', retries: 1 });
  await assert.rejects(client.request({ method: 'GET', path: '/x' }), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
    assert.equal(error.status, 503);
    return true;
  });
  await client.close();
});

test('request id, traceparent (same trace, new span) and the remaining deadline are propagated', async () => {
  const client = createServiceClient({ name: 'up', baseUrl });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await withContext({ requestId: 'r-1', traceId, spanId: '00f067aa0ba902b7', deadline: Date.now() + 1500 }, () =>
    client.request({ method: 'GET', path: '/x' }),
  );
  const headers = received[0]?.headers ?? {};
  assert.equal(headers['x-request-id'], 'r-1');
  assert.match(String(headers.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  const budget = Number(headers[DEADLINE_HEADER]);
  assert.ok(budget > 0 && budget <= 1500, `budget ${budget}`);
  await client.close();
});

test('a call that is answered aborts nothing: no AbortError (and its stack trace) is made per call, only on a timeout', async (t) => {
  const aborts: unknown[] = [];
  const abort = AbortController.prototype.abort;
  t.mock.method(AbortController.prototype, 'abort', function (this: AbortController, reason?: unknown) {
    aborts.push(reason);
    abort.call(this, reason);
  });
  // The answered calls' attempt timeout is far above any answer's time on a loaded machine (at 100 ms, an answer slowed
  // by two spinning processes beside the suite once ran out of it and was rightly aborted); the timed-out call has its own.
  const client = createServiceClient({ name: 'up', baseUrl, timeoutMs: 30_000 });
  await withContext({ requestId: 'r', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), deadline: Date.now() + 60_000 }, async () => {
    await client.request({ method: 'GET', path: '/x' });
    await client.request({ method: 'POST', path: '/y', body: {} });
  });
  assert.equal(aborts.length, 0, 'two answered calls, both timeouts (attempt and deadline) left alone');
  fallback = () => ({ status: 200, body: {}, delayMs: 600_000 });
  await assert.rejects(client.request({ method: 'POST', path: '/slow', body: {}, timeoutMs: 100 }), (error: unknown) => error instanceof AppError && error.code === 'UPSTREAM_TIMEOUT');
  assert.ok(aborts.length >= 1, 'a timeout still aborts the request it ended');
  await client.close();
});

test('a spent deadline fails at once without calling', async () => {
  const client = createServiceClient({ name: 'up', baseUrl });
  await assert.rejects(
    withContext({ requestId: 'r', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), deadline: Date.now() - 1 }, () => client.request({ method: 'GET', path: '/x' })),
    (error: unknown) => error instanceof AppError && error.code === 'UPSTREAM_TIMEOUT',
  );
  assert.equal(received.length, 0);
  await client.close();
});

test('retries never outlast the deadline: the whole call gives up with 504 when the budget is spent (regression: each retry got a full attempt)', async () => {
  // Attempts may take 10 minutes and the upstream never answers sooner: only the 400 ms deadline can end the call.
  const client = createServiceClient({ name: 'up', baseUrl, retries: 2, timeoutMs: 600_000 });
  fallback = () => ({ status: 200, delayMs: 600_000 });
  await assert.rejects(
    withContext({ requestId: 'r', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), deadline: Date.now() + 400 }, () => client.request({ method: 'GET', path: '/slow' })),
    (error: unknown) => error instanceof AppError && error.code === 'UPSTREAM_TIMEOUT' && error.status === 504,
  );
  await client.close();
});

test('a response body is checked against its schema', async () => {
  const client = createServiceClient({ name: 'up', baseUrl });
  script = [() => ({ status: 200, body: { id: 'p1', amount: 5 } }), () => ({ status: 200, body: { id: 42 } })];
  const schema = Type.Object({ id: Type.String(), amount: Type.Integer() });
  const ok = await client.request({ method: 'GET', path: '/p', response: schema });
  assert.equal(ok.body.id, 'p1');
  await assert.rejects(client.request({ method: 'GET', path: '/p', response: schema }), /unexpected body/);
  await client.close();
});
