import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBareProxy } from '../src/bare-proxy.ts';
import { cpuRatios, type TargetFigures } from '../src/gateway.ts';

/** A real upstream that echoes what reached it; a long path answers in many chunks. */
async function upstream(): Promise<{ url: string; seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[]; close(): Promise<void> }> {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === '/long') {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': 'yes' });
        for (let i = 0; i < 200; i++) res.write(`line ${i}\n`.padEnd(1024, '.'));
        return void res.end('end\n');
      }
      if (req.url === '/missing') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"NOT_FOUND"}');
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('the bare proxy forwards method, path, headers and body, and answers what the upstream answered', async (t) => {
  const up = await upstream();
  const proxy = await startBareProxy(up.url);
  t.after(async () => {
    await proxy.close();
    await up.close();
  });

  const got = await fetch(`${proxy.url}/api/catalog/products/1?x=1`, { headers: { authorization: 'Bearer t', 'x-request-id': 'r1' } });
  assert.equal(got.status, 200);
  assert.deepEqual(await got.json(), { ok: true });
  assert.deepEqual(got.headers.getSetCookie(), ['a=1', 'b=2'], 'a repeated response header stays repeated');
  const first = up.seen.at(-1);
  assert.equal(first?.url, '/api/catalog/products/1?x=1');
  assert.equal(first?.headers.authorization, 'Bearer t');
  assert.equal(first?.headers['x-request-id'], 'r1');
  assert.equal(first?.headers.host, new URL(up.url).host, 'the upstream sees its own host, not the proxy\'s');

  const posted = await fetch(`${proxy.url}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"lamp"}' });
  assert.equal(posted.status, 200);
  assert.equal(up.seen.at(-1)?.method, 'POST');
  assert.equal(up.seen.at(-1)?.body, '{"name":"lamp"}');

  const missing = await fetch(`${proxy.url}/missing`);
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), '{"code":"NOT_FOUND"}');

  const long = await fetch(`${proxy.url}/long`);
  assert.equal(long.headers.get('x-upstream'), 'yes');
  const text = await long.text();
  assert.equal(text.length, 200 * 1024 + 4, 'an answer of many chunks arrives whole');
  assert.ok(text.startsWith('line 0\n') && text.endsWith('end\n'));
});

test('the bare proxy answers 502 when its upstream is down', async (t) => {
  const up = await upstream();
  const url = up.url;
  await up.close();
  const proxy = await startBareProxy(url);
  t.after(() => proxy.close());
  const res = await fetch(`${proxy.url}/anything`);
  assert.equal(res.status, 502);
  assert.equal(await res.text(), 'bad gateway\n');
});

test("the gateway's and the bare proxy's CPU are each set against nginx's, and only when nginx's was measured", () => {
  const figures = (name: string, cpu: number | undefined): TargetFigures => ({ name, rps: 1000, p50: 1, p99: 2, errors: 0, cpuUsPerRequest: cpu });
  assert.deepEqual(cpuRatios(figures('gateway', 150), figures('bare', 90), figures('nginx', 50)), { gateway: 3, bare: 1.8 });
  assert.deepEqual(cpuRatios(figures('gateway', 150), undefined, figures('nginx', 50)), { gateway: 3, bare: undefined });
  assert.equal(cpuRatios(figures('gateway', 150), figures('bare', 90), undefined), undefined, 'no nginx, no ratio');
  assert.equal(cpuRatios(figures('gateway', 150), figures('bare', 90), figures('nginx', undefined)), undefined, "nginx's CPU unread");
  assert.equal(cpuRatios(figures('gateway', 150), figures('bare', 90), figures('nginx', 0)), undefined, 'no division by zero');
});
