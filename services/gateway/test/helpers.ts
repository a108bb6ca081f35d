import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestKeys, testLogger, type TestKeys } from '@bazaar/kit/testing';
import { buildApp, type Gateway, type GatewayDeps } from '../src/app.ts';
import { listen, type Listening } from '../src/server.ts';

/** What an upstream test server saw. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP server; `handler` answers, every request is recorded in `seen`. */
export async function upstreamServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ server: Server; url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An upstream answering JSON describing the request. */
export function echo(req: IncomingMessage, res: ServerResponse, body: string): void {
  const status = req.url?.includes('missing') ? 404 : 200;
  res.writeHead(status, { 'content-type': 'application/json', connection: 'keep-alive', 'x-upstream': 'echo', server: 'echo/1.0', 'x-powered-by': 'tests' });
  res.end(JSON.stringify({ method: req.method, url: req.url, body, port: (req.socket.address() as AddressInfo).port }));
}

export interface RunningGateway {
  url: string;
  /** The admin listener: /metrics, /readyz, /openapi.json. */
  adminUrl: string;
  gateway: Gateway;
  listening: Listening;
  keys: TestKeys;
  logLines: string[];
  close(): Promise<void>;
}

let sharedKeys: TestKeys | undefined;

/** Test signing keys, shared by a test file (generating Ed25519 keys is quick, but once is enough). */
export async function testKeys(): Promise<TestKeys> {
  sharedKeys ??= await createTestKeys();
  return sharedKeys;
}

/**
 * Build a gateway with test keys and listen on a free port. The upstream
 * timeouts are generous so a busy machine does not fail a happy path; a test
 * of the deadline passes its own `timeoutMs`.
 */
export async function startGateway(deps: Partial<GatewayDeps> & Pick<GatewayDeps, 'upstreams'>): Promise<RunningGateway> {
  const keys = await testKeys();
  const logLines: string[] = [];
  const gateway = buildApp({
    logger: testLogger(),
    accessLog: { write: (line: string) => logLines.push(line.trimEnd()) },
    keys: keys.keys,
    timeoutMs: 5000,
    connectTimeoutMs: 2000,
    healthIntervalMs: 60_000,
    defaultMetrics: false,
    ...deps,
  });
  const listening = await listen(gateway, { host: '127.0.0.1', port: 0, admin: { host: '127.0.0.1', port: 0 } });
  const url = `http://127.0.0.1:${(listening.http.address() as AddressInfo).port}`;
  const adminUrl = `http://127.0.0.1:${(listening.admin?.address() as AddressInfo).port}`;
  return {
    url,
    adminUrl,
    gateway,
    listening,
    keys,
    logLines,
    async close() {
      await listening.close(100);
      await gateway.close();
    },
  };
}

/** Map of area -> URLs from pairs. */
export function table(entries: Record<string, string | string[]>): Map<string, string[]> {
  return new Map(Object.entries(entries).map(([area, urls]) => [area, Array.isArray(urls) ? urls : [urls]]));
}
