import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool, errors as undiciErrors } from 'undici';
import { AppError, DEADLINE_HEADER, commonErrors, formatTraceparent, newSpanId, type RequestContext } from '@bazaar/kit';
import { errors } from './errors.ts';

/** Headers that describe one hop, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

export interface Upstream {
  area: string;
  url: string;
  pool: Pool;
  /** Time allowed until the response headers arrive. */
  timeoutMs: number;
}

export interface ForwardRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Readable | null;
  remoteAddress: string;
  protocol: string;
  context: RequestContext;
}

export interface ForwardResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Readable;
}

/** One keep-alive pool per upstream service. */
export function createUpstream(area: string, url: string, opts: { connectTimeoutMs: number; timeoutMs: number }): Upstream {
  const pool = new Pool(url, {
    connections: 64,
    connect: { timeout: opts.connectTimeoutMs },
    // undici's own timers are coarse (about 1 s); the precise limit is the
    // abort timer in forward(). These only catch a stalled body.
    headersTimeout: opts.timeoutMs * 2,
    bodyTimeout: opts.timeoutMs * 2,
  });
  return { area, url, pool, timeoutMs: opts.timeoutMs };
}

/** Forward one request to an upstream; failures become 502/503/504 coded errors. */
export async function forward(upstream: Upstream, req: ForwardRequest): Promise<ForwardResponse> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = value;
  }
  const forwardedFor = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${String(forwardedFor)}, ${req.remoteAddress}` : req.remoteAddress;
  headers['x-forwarded-proto'] = req.protocol;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-request-id'] = req.context.requestId;
  headers.traceparent = formatTraceparent(req.context.traceId, newSpanId());
  if (req.context.deadline !== undefined) headers[DEADLINE_HEADER] = String(Math.max(1, req.context.deadline - Date.now()));

  const budget = req.context.deadline === undefined ? upstream.timeoutMs : Math.min(upstream.timeoutMs, req.context.deadline - Date.now());
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new UpstreamTimeout()), Math.max(1, budget));
  try {
    const res = await upstream.pool.request({
      method: req.method as 'GET',
      path: req.url,
      headers,
      body: req.body,
      signal: abort.signal,
    });
    clearTimeout(timer);
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined || value === null || HOP_BY_HOP.has(name)) continue;
      out[name] = value as string | string[];
    }
    return { status: res.statusCode, headers: out, body: res.body };
  } catch (error) {
    clearTimeout(timer);
    throw upstreamFailure(upstream.area, abort.signal.aborted ? abort.signal.reason : error);
  }
}

class UpstreamTimeout extends Error {}

/** Map a transport failure to the status a client should see. */
export function upstreamFailure(area: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof UpstreamTimeout || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return commonErrors.UPSTREAM_TIMEOUT(`The ${area} service did not answer in time.`);
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) {
    return commonErrors.UPSTREAM_UNAVAILABLE(`The ${area} service cannot be reached (connect timeout).`);
  }
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
    return commonErrors.UPSTREAM_UNAVAILABLE(`The ${area} service is unavailable right now; try again shortly.`);
  }
  if (error instanceof undiciErrors.SocketError || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
    return errors.UPSTREAM_RESET(`The ${area} service closed the connection before answering.`);
  }
  return commonErrors.UPSTREAM_FAILED(`The ${area} service failed: ${(error as Error).message}`);
}
