// Load balancing: instance choice, outlier ejection, health checks, the
// circuit breaker, and retries of idempotent requests on another instance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { testLogger, waitFor } from '@bazaar/kit/testing';
import { Breaker } from '../src/upstream/breaker.ts';
import { Upstream } from '../src/upstream/balancer.ts';
import { startHealthChecks } from '../src/upstream/health.ts';
import { echo, startGateway, table, upstreamServer } from './helpers.ts';

const options = { connectTimeoutMs: 200, connections: 4, ejectAfter: 3, ejectionMs: 1000, breakerFailures: 100, breakerOpenMs: 1000, logger: testLogger() };

test('breaker: opens after consecutive failures, lets one trial through, closes or reopens', () => {
  const breaker = new Breaker(3, 1000);
  breaker.record(false, 0);
  breaker.record(false, 0);
  breaker.record(true, 0);
  breaker.record(false, 0);
  breaker.record(false, 0);
  assert.equal(breaker.state, 'closed', 'a success in between resets the count');
  breaker.record(false, 0);
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.allow(500), false);
  assert.equal(breaker.retryAfterMs(500), 500);
  assert.equal(breaker.allow(1000), true, 'the trial');
  assert.equal(breaker.state, 'half-open');
  assert.equal(breaker.allow(1000), false, 'only one trial at a time');
  breaker.record(false, 1000);
  assert.equal(breaker.state, 'open', 'a failed trial reopens');
  assert.equal(breaker.allow(2000), true);
  breaker.abandon();
  assert.equal(breaker.allow(2000), true, 'an abandoned trial frees the slot');
  breaker.record(true, 2000);
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.opened, 2);
  for (let i = 0; i < 3; i++) breaker.record(false, 3000);
  assert.equal(breaker.allow(3001), false);
  breaker.healthy();
  assert.equal(breaker.allow(3002), true, 'a passing health check lets the trial through early');
});

test('balancer: spreads over available instances, skips the excluded, ejected and unhealthy', async (t) => {
  const upstream = new Upstream('payments', ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'], options);
  t.after(() => upstream.close());
  const [a, b, c] = upstream.instances as [Upstream['instances'][0], Upstream['instances'][0], Upstream['instances'][0]];
  const counts = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const picked = upstream.pick(undefined, 0);
    assert.ok(picked);
    counts.set(picked.url, (counts.get(picked.url) ?? 0) + 1);
  }
  for (const instance of [a, b, c]) assert.ok((counts.get(instance.url) ?? 0) > 50, `${instance.url} got ${counts.get(instance.url)}`);
  a.inFlight = 10;
  for (let i = 0; i < 50; i++) assert.notEqual(upstream.pick(undefined, 0), a, 'the busier of two is never chosen');
  a.inFlight = 0;
  for (let i = 0; i < 50; i++) assert.notEqual(upstream.pick(b, 0), b);

  for (let i = 0; i < 3; i++) upstream.record(b, false, 0);
  assert.ok(b.ejected(0) && b.ejected(999) && !b.ejected(1000), 'ejected for ejectionMs');
  for (let i = 0; i < 50; i++) assert.notEqual(upstream.pick(undefined, 500), b);
  for (let i = 0; i < 3; i++) upstream.record(b, false, 1000);
  assert.equal(b.ejectedUntil, 3000, 'a repeat offender stays out longer');
  upstream.health(c, false);
  upstream.health(c, false);
  assert.equal(c.healthy, false);
  for (let i = 0; i < 20; i++) assert.equal(upstream.pick(undefined, 1500), a);
  upstream.health(a, false);
  upstream.health(a, false);
  assert.ok(upstream.pick(undefined, 1500), 'with none available, all are tried rather than none');
});

test('health checks: an instance failing /readyz leaves rotation, and returns when it passes', async (t) => {
  let ready = true;
  const server = await upstreamServer((_req, res) => res.writeHead(ready ? 200 : 503).end());
  const upstream = new Upstream('catalog', [server.url], options);
  const checks = startHealthChecks([upstream], 60_000);
  t.after(async () => {
    checks.stop();
    await upstream.close();
    await server.close();
  });
  const instance = upstream.instances[0];
  assert.ok(instance);
  ready = false;
  await checks.runOnce();
  assert.equal(instance.healthy, true, 'one failure is not enough');
  await checks.runOnce();
  assert.equal(instance.healthy, false);
  ready = true;
  await checks.runOnce();
  assert.equal(instance.healthy, true);
  assert.ok(server.seen.every((s) => s.url === '/readyz'));
});

test('two instances, one killed mid-run: no idempotent GET fails', async (t) => {
  const one = await upstreamServer(echo);
  const two = await upstreamServer(echo);
  const gw = await startGateway({ upstreams: table({ catalog: [one.url, two.url] }), ejectAfter: 3, ejectionMs: 5000 });
  t.after(async () => {
    await gw.close();
    await two.close();
  });
  const statuses: number[] = [];
  const ports = new Set<number>();
  let killed = false;
  for (let round = 0; round < 40; round++) {
    if (round === 15) {
      await one.close();
      killed = true;
    }
    const batch = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const res = await request(`${gw.url}/api/catalog/products?round=${round}`);
        const body = (await res.body.json()) as { port?: number };
        if (!killed && body.port) ports.add(body.port);
        return res.statusCode;
      }),
    );
    statuses.push(...batch);
  }
  assert.equal(ports.size, 2, 'both instances served before the kill');
  assert.deepEqual(
    statuses.filter((s) => s !== 200),
    [],
    'every request succeeded',
  );
  const instance = gw.gateway.upstreams[0]?.instances.find((i) => i.url === one.url);
  assert.ok(instance && instance.ejected(Date.now()), 'the dead instance was ejected');
});

test('a reset connection: GET is retried on another instance, a PUT with a streamed body is not', async (t) => {
  const resetter = await upstreamServer((req) => req.socket.destroy());
  const good = await upstreamServer(echo);
  const gw = await startGateway({ upstreams: table({ cart: [resetter.url, good.url] }), ejectAfter: 1000 });
  t.after(async () => {
    await gw.close();
    await resetter.close();
    await good.close();
  });
  const token = await gw.keys.sign({ sub: 'u1' });
  for (let i = 0; i < 6; i++) {
    const res = await request(`${gw.url}/api/cart`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }
  assert.ok(resetter.seen.length > 0, 'the resetting instance was tried');
  const before = good.seen.length;
  let failed = 0;
  for (let i = 0; i < 6; i++) {
    const res = await request(`${gw.url}/api/cart/items/p1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"quantity":1}',
    });
    if (res.statusCode === 502) {
      failed += 1;
      assert.equal(((await res.body.json()) as { code: string }).code, 'UPSTREAM_RESET');
    } else await res.body.dump();
  }
  assert.ok(failed > 0, 'a streamed body that may have been acted on is not replayed');
  assert.equal(good.seen.length - before, 6 - failed);
});

test('one instance that resets a connection before answering: GET, DELETE and a keyed checkout are sent once more on a new connection; a plain POST is not (502 UPSTREAM_RESET, declared at /docs)', async (t) => {
  // Every other request is reset before any answer, as an instance closing an idle kept-alive socket does.
  let requests = 0;
  const flaky = await upstreamServer((req, res, body) => {
    requests += 1;
    if (requests % 2 === 1) return void req.socket.destroy();
    echo(req, res, body);
  });
  const gw = await startGateway({ upstreams: table({ cart: [flaky.url], checkout: [flaky.url], identity: [flaky.url] }) });
  t.after(async () => {
    await gw.close();
    await flaky.close();
  });
  const token = await gw.keys.sign({ sub: 'u1' });
  const auth = { authorization: `Bearer ${token}` };
  const keyed = { ...auth, 'content-type': 'application/json', 'idempotency-key': 'k1', 'if-match': '"v"' };
  for (const [method, path, headers, body] of [
    ['GET', '/api/cart', auth, null],
    ['DELETE', '/api/cart/items/p1', auth, null],
    // The route is declared idempotent (its Idempotency-Key), so its body is held and can be sent again.
    ['POST', '/api/checkout', keyed, '{"card":"x"}'],
  ] as const) {
    const before = flaky.seen.length;
    const res = await request(`${gw.url}${path}`, { method, headers, body });
    assert.equal(res.statusCode, 200, `${method} ${path}`);
    const echoed = (await res.body.json()) as { body: string };
    assert.equal(flaky.seen.length - before, 2, `${method}: reset once, then answered`);
    if (body !== null) assert.equal(echoed.body, body, 'the same body, sent again');
  }
  const before = flaky.seen.length;
  const post = await request(`${gw.url}/api/identity/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(post.statusCode, 502);
  assert.equal(((await post.body.json()) as { code: string }).code, 'UPSTREAM_RESET');
  assert.equal(flaky.seen.length - before, 1, 'a POST that may have been acted on is not sent again');
  const docs = await request(`${gw.url}/docs/openapi.json`);
  const doc = (await docs.body.json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  assert.ok(doc.paths['/api/identity/register']?.post?.responses['502'], 'the edge declares its 502 on every route');
  assert.ok(doc.paths['/api/cart']?.get?.responses['502']);
});

test('a frozen instance: a keyed checkout it does not answer within the route\'s try (2.5 s) goes to the other instance in the same request, with the time already spent; a plain POST waits its deadline out', async (t) => {
  // Takes the request and never answers, as a process stopped with SIGSTOP does.
  const frozen = await upstreamServer(() => undefined);
  const good = await upstreamServer(echo);
  const gw = await startGateway({ upstreams: table({ checkout: [frozen.url, good.url], identity: [frozen.url, good.url] }), ejectAfter: 1000, timeoutMs: 1500 });
  t.after(async () => {
    await gw.close();
    await frozen.close();
    await good.close();
  });
  const token = await gw.keys.sign({ sub: 'u1' });
  const answers = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const body = JSON.stringify({ card: { number: '4242' }, n: i });
      const res = await request(`${gw.url}/api/checkout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `k${i}`, 'if-match': '"v"', 'x-request-id': `checkout-${i}` },
        body,
      });
      return { status: res.statusCode, echoed: (await res.body.json()) as { body: string; port: number }, body };
    }),
  );
  const goodPort = Number(new URL(good.url).port);
  for (const a of answers) {
    assert.equal(a.status, 200, 'every checkout answered');
    assert.equal(a.echoed.port, goodPort, 'by the instance that answers');
    assert.equal(a.echoed.body, a.body, 'with the body as sent');
  }
  assert.ok(frozen.seen.length > 0, 'the frozen instance was tried first for some');
  for (const first of frozen.seen) {
    assert.equal(first.headers['bazaar-deadline-ms'], '2500', 'the first instance is given the try, not the 8 s');
    const again = good.seen.find((s) => s.headers['x-request-id'] === first.headers['x-request-id']);
    assert.ok(again, `${first.headers['x-request-id']} sent again to the other instance`);
    assert.equal(again.body, first.body);
    const elapsed = Number(again.headers['bazaar-elapsed-ms']);
    assert.ok(elapsed >= 2400, `the second instance hears the time already spent (${elapsed} ms)`);
    assert.ok(Number(again.headers['bazaar-deadline-ms']) <= 8000 - 2400, 'and gets what is left of the route\'s 8 s');
  }
  const before = good.seen.length;
  const plain = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const res = await request(`${gw.url}/api/identity/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await res.body.dump();
      return res.statusCode;
    }),
  );
  assert.ok(plain.includes(504), `a register that met the frozen instance timed out (${plain.join(', ')})`);
  assert.equal(good.seen.length - before, plain.filter((s) => s === 200).length, 'and was never sent to the other one');
});

test('one instance: a keyed checkout gets the whole route budget (there is nowhere else to send it)', async (t) => {
  const good = await upstreamServer(echo);
  const gw = await startGateway({ upstreams: table({ checkout: [good.url] }) });
  t.after(async () => {
    await gw.close();
    await good.close();
  });
  const token = await gw.keys.sign({ sub: 'u1' });
  const res = await request(`${gw.url}/api/checkout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'k', 'if-match': '"v"' },
    body: '{}',
  });
  assert.equal(res.statusCode, 200);
  await res.body.dump();
  assert.ok(Number(good.seen[0]?.headers['bazaar-deadline-ms']) > 2500, `budget ${good.seen[0]?.headers['bazaar-deadline-ms']}`);
});

test('an instance answering 503 (closing): idempotent requests go to another', async (t) => {
  const closing = await upstreamServer((_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"CLOSING"}'));
  const good = await upstreamServer(echo);
  const gw = await startGateway({ upstreams: table({ search: [closing.url, good.url] }) });
  t.after(async () => {
    await gw.close();
    await closing.close();
    await good.close();
  });
  for (let i = 0; i < 6; i++) {
    const res = await request(`${gw.url}/api/search?q=${i}`);
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  }
  assert.ok(closing.seen.length > 0);
});

test('issue 12, the wait bound: a service back from an outage (every answer 503, its circuit open) is called again once a recovery probe passes, not after BREAKER_OPEN_MS or the next round of health checks', async (t) => {
  // orders while its database restarts: alive, answering 503 to everything, its /readyz included.
  let away = true;
  const server = await upstreamServer((_req, res) => res.writeHead(away ? 503 : 200, { 'content-type': 'application/json' }).end(away ? '{"code":"STORE_UNAVAILABLE"}' : '{}'));
  // A circuit that would stay open ten minutes and health rounds ten minutes apart: only the recovery probes can close it in this test.
  const gw = await startGateway({ upstreams: table({ search: [server.url] }), breakerFailures: 3, breakerOpenMs: 600_000, healthIntervalMs: 600_000 });
  t.after(async () => {
    await gw.close();
    await server.close();
  });
  const search = async () => {
    const res = await request(`${gw.url}/api/search?q=lamp`);
    const body = (await res.body.json()) as { code?: string };
    return { status: res.statusCode, code: body.code };
  };
  for (let i = 0; i < 3; i++) assert.equal((await search()).status, 503);
  assert.deepEqual(await search(), { status: 503, code: 'CIRCUIT_OPEN' }, 'the circuit opened');
  away = false;
  await waitFor('the circuit to let requests through again once the service answers its probes', async () => (await search()).status === 200 || undefined);
  assert.ok(server.seen.some((s) => s.url === '/readyz'), 'a recovery probe found it back');
});

test('circuit breaker: a service that keeps failing is not called while the circuit is open', async (t) => {
  const failing = await upstreamServer((_req, res) => res.writeHead(502).end());
  const gw = await startGateway({ upstreams: table({ search: failing.url }), breakerFailures: 3, breakerOpenMs: 60_000, ejectAfter: 100 });
  t.after(async () => {
    await gw.close();
    await failing.close();
  });
  for (let i = 0; i < 3; i++) {
    const res = await request(`${gw.url}/api/search`);
    assert.equal(res.statusCode, 502);
    await res.body.dump();
  }
  const open = await request(`${gw.url}/api/search`);
  assert.equal(open.statusCode, 503);
  assert.equal(((await open.body.json()) as { code: string }).code, 'CIRCUIT_OPEN');
  assert.equal(open.headers['retry-after'], '60');
  assert.equal(failing.seen.length, 3);
});
