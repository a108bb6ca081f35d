/**
 * The floor of a reverse proxy written in Node: the two parts the gateway is
 * built on — node:http's server in front, undici's pool behind (ADR 0009) —
 * and nothing else: no token, rate limit, trace, access log, metrics, retry,
 * breaker or deadline. `npm run bench` loads it beside the gateway and nginx,
 * so that one run tells how much of the gateway's CPU per request (issue 14:
 * ≤ 2.5× nginx's) is Node's own HTTP and how much is the gateway's features.
 *
 * Not a proxy to run anything behind: it forwards every method and path to
 * one upstream, drops only the hop-by-hop headers, and answers 502 when the
 * upstream fails.
 *
 *   UPSTREAM=http://127.0.0.1:3002 PORT=8090 node tools/bench/src/bare-proxy.ts
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus host (undici sets the upstream's). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

function requestHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1] as string);
  }
  return out;
}

function responseHeaders(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    if (HOP_BY_HOP.has(name)) continue;
    const value = headers[name];
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else if (value !== undefined) out.push(name, value);
  }
  return out;
}

/**
 * One request's trip upstream and back: the undici dispatch handler, streaming the answer as it comes. Like the
 * gateway, it holds the first chunk back, so that a one-chunk answer goes out with its head in one write.
 */
class Forward implements Dispatcher.DispatchHandler {
  private started = false;
  private held: Buffer | undefined;
  private readonly res: ServerResponse;
  constructor(res: ServerResponse) {
    this.res = res;
  }

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.started = true;
    this.res.writeHead(status, responseHeaders(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.held === undefined) {
      this.held = chunk;
      return;
    }
    if (this.held.length > 0) {
      this.res.write(this.held);
      this.held = Buffer.alloc(0);
    }
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    const last = this.held;
    this.res.end(last !== undefined && last.length > 0 ? last : undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.started) return void this.res.destroy(error);
    this.res.writeHead(502, { 'content-type': 'text/plain', 'content-length': '12' });
    this.res.end('bad gateway\n');
  }
}

export interface BareProxy {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Start the bare proxy in this process, in front of `upstream` (an origin, e.g. http://127.0.0.1:3002). */
export async function startBareProxy(upstream: string, opts: { port?: number; host?: string } = {}): Promise<BareProxy> {
  const origin = new URL(upstream).origin;
  const pool = new Pool(origin, { connections: 64 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const options: Dispatcher.DispatchOptions = { method: (req.method ?? 'GET') as Dispatcher.HttpMethod, path: req.url ?? '/', headers: requestHeaders(req.rawHeaders), body: hasBody ? req : null };
    pool.dispatch(options, new Forward(res));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
    },
  };
}

if (import.meta.main) {
  const upstream = process.env.UPSTREAM;
  const port = Number(process.env.PORT ?? 0);
  if (!upstream || !URL.canParse(upstream)) {
    process.stderr.write(`bare-proxy: set UPSTREAM to the origin to forward to (e.g. UPSTREAM=http://127.0.0.1:3002), got "${upstream ?? ''}"\n`);
    process.exit(2);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`bare-proxy: PORT must be a port number (0–65535), got "${process.env.PORT}"\n`);
    process.exit(2);
  }
  const proxy = await startBareProxy(upstream, { port, host: process.env.HOST ?? '127.0.0.1' });
  process.stdout.write(`bare-proxy: ${proxy.url} → ${new URL(upstream).origin}\n`);
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
