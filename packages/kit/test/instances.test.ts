import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InstanceRing, createServiceClient, instanceUrls } from '../src/index.ts';
import { freePort } from '../src/testing.ts';

async function instance(name: string): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ from: name }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

test('instanceUrls splits a comma-separated list and refuses what is not a URL', () => {
  assert.deepEqual(instanceUrls('http://a:1/, http://b:2'), ['http://a:1', 'http://b:2']);
  assert.deepEqual(instanceUrls('http://a:1'), ['http://a:1']);
  assert.throws(() => instanceUrls(' , '), /one or more URLs/);
  assert.throws(() => instanceUrls('http://a:1,ftp://b'), /not an http\(s\) URL/);
});

test('the ring goes round, skips an ejected instance and takes it back after the pause', async () => {
  const ring = new InstanceRing(3, { ejectMs: 50 });
  assert.deepEqual([ring.pick(), ring.pick(), ring.pick(), ring.pick()], [0, 1, 2, 0]);
  ring.eject(1);
  assert.deepEqual([ring.pick(), ring.pick(), ring.pick()], [2, 0, 2]);
  assert.deepEqual(ring.ejected(), [1]);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual([ring.pick(), ring.pick()], [0, 1]);
  ring.eject(0);
  ring.eject(1);
  ring.eject(2);
  assert.equal(ring.pick(), 0, 'all ejected: the one ejected longest ago');
  assert.equal(ring.pick(new Set([0])), 1);
});

test('calls are spread over instances round-robin', async () => {
  const a = await instance('a');
  const b = await instance('b');
  const client = createServiceClient({ name: 'up', baseUrl: `${a.url},${b.url}` });
  const from: string[] = [];
  for (let i = 0; i < 4; i++) from.push(((await client.request({ method: 'GET', path: '/x' })).body as { from: string }).from);
  assert.deepEqual(from, ['a', 'b', 'a', 'b']);
  await client.close();
  await Promise.all([close(a.server), close(b.server)]);
});

test('an instance that refuses connections is skipped, even for a POST (nothing was sent)', async () => {
  const a = await instance('a');
  const dead = `http://127.0.0.1:${await freePort()}`;
  const client = createServiceClient({ name: 'up', baseUrl: `${dead},${a.url}`, retries: 0 });
  for (let i = 0; i < 4; i++) {
    const res = await client.request({ method: 'POST', path: '/pay', body: { n: i } });
    assert.deepEqual(res.body, { from: 'a' });
  }
  assert.equal(a.hits.length, 4, 'each POST reached the live instance exactly once');
  await client.close();
  await close(a.server);
});

test('one instance of two killed mid-run: no idempotent call fails', async () => {
  const a = await instance('a');
  const b = await instance('b');
  const client = createServiceClient({ name: 'up', baseUrl: `${a.url},${b.url}`, retries: 2 });
  let failures = 0;
  const calls: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) {
    if (i === 50) await close(a.server);
    calls.push(client.request({ method: 'GET', path: `/p/${i}` }).then(() => undefined, () => void (failures += 1)));
    if (i % 10 === 0) await Promise.all(calls.splice(0));
  }
  await Promise.all(calls);
  assert.equal(failures, 0);
  assert.ok(b.hits.length >= 150, `the survivor took the load (${b.hits.length})`);
  await client.close();
  await close(b.server);
});
