import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { HttpPool } from '../src/http-pool.ts';

const servers: Server[] = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** A server on an ephemeral port that counts the connections it accepted and the most open at once. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; accepted: () => number; mostOpen: () => number }> {
  const server = createServer(handler);
  servers.push(server);
  let accepted = 0;
  let open = 0;
  let mostOpen = 0;
  server.on('connection', (socket: Socket) => {
    accepted++;
    mostOpen = Math.max(mostOpen, ++open);
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, accepted: () => accepted, mostOpen: () => mostOpen };
}

const echo = (req: IncomingMessage, res: ServerResponse): void => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    res.writeHead(201, { 'content-type': 'application/json', 'x-seen': req.headers['x-sent'] ?? '' });
    res.end(JSON.stringify({ method: req.method, url: req.url, body, text: 'naïve café ✓' }));
  });
};

test('requests one after another share one kept-alive connection; status, headers and a UTF-8 body come back whole; a path in the base URL prefixes every request', async () => {
  const upstream = await serve(echo);
  const pool = new HttpPool(`${upstream.url}/base/`);
  try {
    for (let i = 0; i < 3; i++) {
      const res = await pool.request({ method: 'POST', path: `/things?i=${i}`, headers: { 'x-sent': `n${i}`, 'content-type': 'application/json' }, body: '{"a":"é"}' });
      assert.equal(res.statusCode, 201);
      assert.equal(res.headers['x-seen'], `n${i}`);
      assert.deepEqual(JSON.parse(res.text), { method: 'POST', url: `/base/things?i=${i}`, body: '{"a":"é"}', text: 'naïve café ✓' });
    }
    assert.equal(upstream.accepted(), 1, 'three requests in a row opened one connection');
  } finally {
    await pool.close();
  }
});

test('at most `connections` connections at once; the requests beyond wait for one and are all answered', async () => {
  const waiting: ServerResponse[] = [];
  const upstream = await serve((_req, res) => {
    waiting.push(res);
    // Answered two at a time: a pool that kept to two connections gets every answer, in three rounds.
    setImmediate(() => {
      if (waiting.length >= 2) for (const r of waiting.splice(0)) r.end('ok');
    });
  });
  const pool = new HttpPool(upstream.url, { connections: 2 });
  try {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.request({ method: 'GET', path: `/${i}` })));
    assert.deepEqual(answers.map((a) => a.text), Array(6).fill('ok'));
    assert.equal(upstream.mostOpen(), 2);
  } finally {
    await pool.close();
  }
});

test('an upstream silent past the inactivity timeout fails the request with ETIMEDOUT', async () => {
  const upstream = await serve(() => undefined);
  const pool = new HttpPool(upstream.url, { inactivityTimeoutMs: 30 });
  try {
    await assert.rejects(pool.request({ method: 'GET', path: '/never' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ETIMEDOUT');
      return true;
    });
  } finally {
    await pool.close();
  }
});

test('an aborted signal ends the request (AbortError) and closes its connection', async () => {
  let closed!: () => void;
  const upstreamClosed = new Promise<void>((resolve) => (closed = resolve));
  const upstream = await serve((req) => req.socket.on('close', closed));
  const pool = new HttpPool(upstream.url);
  const abort = new AbortController();
  try {
    const pending = pool.request({ method: 'GET', path: '/slow', signal: abort.signal });
    while (upstream.accepted() === 0) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    await upstreamClosed;
  } finally {
    await pool.close();
  }
});

test('a connection cut in the middle of the body fails the request (ECONNRESET) instead of answering with half a body', async () => {
  const upstream = await serve((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('{"partial":');
    setImmediate(() => res.socket?.destroy());
  });
  const pool = new HttpPool(upstream.url);
  try {
    await assert.rejects(pool.request({ method: 'GET', path: '/cut' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ECONNRESET');
      return true;
    });
  } finally {
    await pool.close();
  }
});

test('an upstream refusing connections fails with ECONNREFUSED (the service client skips such an instance)', async () => {
  // A port that was just free: listened on, then closed.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const pool = new HttpPool(`http://127.0.0.1:${port}`);
  try {
    await assert.rejects(pool.request({ method: 'GET', path: '/' }), { code: 'ECONNREFUSED' });
  } finally {
    await pool.close();
  }
});

test('calls between services and JWKS fetches use neither the undici package nor Node\'s fetch (25–35 MB of memory each, ADR 0091)', () => {
  // A child process: the kit's client makes a call, a key source fetches a JWKS.
  const script = `
    import { registerHooks } from 'node:module';
    import { createServer } from 'node:http';
    const loaded = [];
    let fetches = 0;
    globalThis.fetch = () => { fetches++; throw new Error('fetch called'); };
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
    const kit = await import(${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)});
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url.startsWith('/.well-known/jwks.json')) return res.end(JSON.stringify({ keys: [] }));
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const url = 'http://127.0.0.1:' + server.address().port;
    const client = kit.createServiceClient({ name: 'upstream', baseUrl: url });
    const answer = await client.request({ method: 'GET', path: '/x' });
    const keys = kit.identityKeySource({ identityUrl: url });
    const warmed = await keys.warm();
    await client.close();
    server.close();
    console.log(JSON.stringify({
      answer: answer.body,
      warmed,
      npmUndici: loaded.filter((u) => u.includes('/node_modules/undici/')),
      fetches,
    }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 60_000 });
  const result = JSON.parse(out.trim().split('\n').at(-1) as string) as { answer: unknown; warmed: boolean; npmUndici: string[]; fetches: number };
  assert.deepEqual(result.answer, { ok: true });
  assert.equal(result.warmed, true, 'the JWKS was fetched');
  assert.deepEqual(result.npmUndici, []);
  // Node's fetch is its own copy of undici. (Its other way in, reading node:http's namespace from an ES module, is
  // closed in the launcher's bundles: tools/launcher/test/bundle.test.ts.)
  assert.equal(result.fetches, 0);
});
