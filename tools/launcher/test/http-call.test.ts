import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpCall } from '../src/http-call.ts';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('httpCall gives the whole answer: status, content type and text, whatever the status', async () => {
  const seen: { method: string | undefined; body: string; header: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, body, header: req.headers['x-test'] as string | undefined });
      if (req.url === '/readyz') {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'not ready', checks: { db: 'down' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.write('part one, ');
      res.end('part two — é');
    });
  });
  const base = await listen(server);
  try {
    const ready = await httpCall(`${base}/readyz`, { timeoutMs: 5000 });
    assert.equal(ready.status, 503);
    assert.equal(ready.contentType, 'application/json');
    assert.deepEqual(JSON.parse(ready.text), { status: 'not ready', checks: { db: 'down' } });
    const put = await httpCall(`${base}/admin/config`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-test': 'yes' }, body: JSON.stringify({ latencyMs: 5 }), timeoutMs: 5000 });
    assert.equal(put.status, 200);
    assert.equal(put.text, 'part one, part two — é');
    assert.deepEqual(seen[1], { method: 'PUT', body: '{"latencyMs":5}', header: 'yes' });
  } finally {
    server.close();
  }
});

test('httpCall rejects when nothing listens, and when the answer does not come in time', async () => {
  const closed = createServer();
  const gone = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
  await assert.rejects(httpCall(`${gone}/readyz`, { timeoutMs: 5000 }), /ECONNREFUSED/);
  // A server that takes the request and never answers: the call gives up after its timeout.
  const silent = createServer(() => undefined);
  const base = await listen(silent);
  try {
    await assert.rejects(httpCall(`${base}/readyz`, { timeoutMs: 200 }), (error: Error) => error.name === 'TimeoutError' || error.name === 'AbortError');
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});
