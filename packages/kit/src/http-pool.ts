import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as TlsAgent, request as httpsRequest } from 'node:https';

/**
 * Keep-alive connections to one origin, on Node's own `node:http` client
 * (ADR 0091: the `undici` package and Node's `fetch` each compile an HTTP
 * parser to WebAssembly and cost a process 25–35 MB of memory; `node:http`
 * parses in C++, already in the binary). What the kit's service client and
 * the event feeds need, nothing more: a request with a string body, the
 * whole answer as text, an AbortSignal, and an inactivity timeout.
 */
export interface PoolRequest {
  method: string;
  /** Path and query, e.g. `/internal/events?after=3`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | null;
  signal?: AbortSignal;
}

export interface PoolResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The body, decoded as UTF-8. */
  text: string;
}

export interface HttpPoolOptions {
  /** At most this many connections at once; more requests wait for one. Default 32. */
  connections?: number;
  /**
   * Fail a request (code `ETIMEDOUT`) when the connection is silent this long
   * while it waits for the answer or its body. Default: none (the caller's
   * deadline or signal bounds it).
   */
  inactivityTimeoutMs?: number;
}

/**
 * Idle connections are closed after this long: well before a server's own
 * keep-alive timeout (fastify's is 72 s; a shorter one announced in
 * `Keep-Alive: timeout=` is honoured, less a second), so a request is never
 * written to a connection the server is closing.
 */
const IDLE_CLOSE_MS = 30_000;

/** Keep-alive connections to one base URL (`http:` or `https:`; a path in it prefixes every request's). */
export class HttpPool {
  private readonly agent: Agent;
  private readonly send: typeof httpRequest;
  private readonly hostname: string;
  private readonly port: number;
  private readonly prefix: string;
  private readonly inactivityTimeoutMs: number | undefined;

  constructor(baseUrl: string, opts: HttpPoolOptions = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`HttpPool speaks HTTP; got ${baseUrl}`);
    const tls = url.protocol === 'https:';
    this.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(url.port || (tls ? 443 : 80));
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.inactivityTimeoutMs = opts.inactivityTimeoutMs;
    const agentOptions = { keepAlive: true, maxSockets: opts.connections ?? 32, timeout: IDLE_CLOSE_MS, scheduling: 'lifo' as const };
    this.agent = tls ? new TlsAgent(agentOptions) : new Agent(agentOptions);
    this.send = tls ? httpsRequest : httpRequest;
  }

  request(req: PoolRequest): Promise<PoolResponse> {
    return new Promise<PoolResponse>((resolve, reject) => {
      const outgoing = this.send(
        {
          agent: this.agent,
          hostname: this.hostname,
          port: this.port,
          method: req.method,
          path: this.prefix + req.path,
          ...(req.headers === undefined ? {} : { headers: req.headers }),
          ...(req.signal === undefined ? {} : { signal: req.signal }),
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, text }));
          res.on('error', reject);
          // The connection closed before the body's end (the server crashed mid-answer).
          res.on('close', () => {
            if (!res.complete) reject(Object.assign(new Error('the connection closed before the answer ended'), { code: 'ECONNRESET' }));
          });
        },
      );
      outgoing.on('error', reject);
      const silentMs = this.inactivityTimeoutMs;
      if (silentMs !== undefined) {
        outgoing.setTimeout(silentMs, () => {
          outgoing.destroy(Object.assign(new Error(`no answer for ${silentMs} ms`), { code: 'ETIMEDOUT' }));
        });
      }
      outgoing.end(req.body ?? undefined);
    });
  }

  /** Close every connection; requests still running fail. */
  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}
