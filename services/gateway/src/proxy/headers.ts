import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { DEADLINE_HEADER, ELAPSED_HEADER } from '@bazaar/kit';

/**
 * Request headers never forwarded: hop-by-hop ones (RFC 9110 §7.6.1), the
 * ones the gateway sets itself (so a client cannot forge them: forwarding
 * chain, request id, trace parent, deadline), and the service credential.
 */
const DROP_REQUEST = new Set([
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
  'expect',
  'http2-settings',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'x-request-id',
  'traceparent',
  'bazaar-deadline-ms',
  'bazaar-elapsed-ms',
  'x-bazaar-service-credential',
]);

/** Response headers never passed back: hop-by-hop ones, and those the gateway owns (its own win). */
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'server',
  'x-powered-by',
  'x-request-id',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'strict-transport-security',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
]);

/** Security headers on every answer from the API. */
export const SECURITY_HEADERS: readonly string[] = [
  'x-content-type-options',
  'nosniff',
  'x-frame-options',
  'DENY',
  'referrer-policy',
  'no-referrer',
  'content-security-policy',
  "default-src 'none'; frame-ancestors 'none'",
];

/** Added over TLS only (RFC 6797: ignored, and misleading, over plain HTTP). */
export const HSTS: readonly string[] = ['strict-transport-security', 'max-age=31536000; includeSubDomains'];

/** What one pass over the raw request headers found. */
export interface RequestHeaders {
  /** Headers to forward, as a flat [name, value, ...] list. */
  forward: string[];
  authorization: string | undefined;
  /** More than one Authorization header: refused (a service reading the first and the gateway the last would disagree). */
  duplicateAuthorization: boolean;
  requestId: string | undefined;
  traceparent: string | undefined;
  origin: string | undefined;
  host: string | undefined;
  forwardedFor: string | undefined;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
  preflightMethod: string | undefined;
}

/**
 * Read the raw request headers once: pick out what the gateway needs and
 * keep the end-to-end headers to forward. Headers named in `Connection`
 * are hop-by-hop too and are dropped.
 */
export function readRequestHeaders(raw: string[]): RequestHeaders {
  const out: RequestHeaders = {
    forward: [],
    authorization: undefined,
    duplicateAuthorization: false,
    requestId: undefined,
    traceparent: undefined,
    origin: undefined,
    host: undefined,
    forwardedFor: undefined,
    contentLength: undefined,
    transferEncoding: undefined,
    preflightMethod: undefined,
  };
  let connection: string | undefined;
  const forward = out.forward;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    switch (name) {
      case 'authorization':
        if (out.authorization !== undefined) out.duplicateAuthorization = true;
        out.authorization = value;
        break;
      case 'x-request-id':
        out.requestId = value;
        continue;
      case 'traceparent':
        out.traceparent = value;
        continue;
      case 'origin':
        out.origin = value;
        break;
      case 'host':
      case ':authority':
        out.host = value;
        continue;
      case 'x-forwarded-for':
        out.forwardedFor = out.forwardedFor === undefined ? value : `${out.forwardedFor}, ${value}`;
        continue;
      case 'content-length':
        out.contentLength = value;
        break;
      case 'transfer-encoding':
        out.transferEncoding = value;
        continue;
      case 'access-control-request-method':
        out.preflightMethod = value;
        break;
      case 'connection':
        connection = value;
        continue;
      default:
        if (name.charCodeAt(0) === 58 /* ':' HTTP/2 pseudo-header */ || DROP_REQUEST.has(name)) continue;
    }
    forward.push(name, value);
  }
  if (connection !== undefined) dropConnectionListed(forward, connection);
  return out;
}

function dropConnectionListed(forward: string[], connection: string): void {
  const listed = new Set(
    connection
      .toLowerCase()
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive'),
  );
  if (listed.size === 0) return;
  for (let i = forward.length - 2; i >= 0; i -= 2) if (listed.has(forward[i] as string)) forward.splice(i, 2);
}

/** The upstream's response headers minus hop-by-hop and gateway-owned ones, appended to `out` as a flat list. */
export function appendResponseHeaders(out: string[], headers: IncomingHttpHeaders): void {
  for (const name in headers) {
    if (DROP_RESPONSE.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
}

/** Strip the IPv4-mapped IPv6 prefix so one client has one key. */
export function normalizeIp(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * The client's address and the X-Forwarded-For to send on. With no trusted
 * proxy in front, whatever the client wrote in X-Forwarded-For is a lie it
 * could tell, so it is replaced; with `hops` trusted proxies, the address
 * `hops` entries from the right is the client.
 */
export function forwardedFor(remote: string, incoming: string | undefined, hops: number): { clientIp: string; header: string } {
  if (hops === 0 || incoming === undefined) return { clientIp: remote, header: remote };
  const chain = incoming
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  chain.push(remote);
  const clientIp = chain[Math.max(0, chain.length - 1 - hops)] as string;
  return { clientIp, header: chain.slice(Math.max(0, chain.length - 1 - hops)).join(', ') };
}

/**
 * Append the gateway's own forwarding, id, trace, elapsed and deadline headers
 * to the forwarded list. The last two go last with empty values: each attempt
 * writes into those slots how long the gateway has held the request and the
 * budget it gives this attempt.
 */
export function addForwardingHeaders(h: RequestHeaders, own: { forwardedFor: string; proto: string; requestId: string; traceparent: string }): void {
  const out = h.forward;
  out.push('x-forwarded-for', own.forwardedFor, 'x-forwarded-proto', own.proto);
  if (h.host !== undefined) out.push('x-forwarded-host', h.host);
  out.push('x-request-id', own.requestId, 'traceparent', own.traceparent, ELAPSED_HEADER, '', DEADLINE_HEADER, '');
}

/** Whether a request carries a body: a length or chunked encoding in HTTP/1.1, a DATA frame to come in HTTP/2. */
export function hasBody(req: IncomingMessage | Http2ServerRequest, h: RequestHeaders): boolean {
  if (h.contentLength !== undefined) return h.contentLength !== '0';
  if (req.httpVersionMajor === 2) return !(req as Http2ServerRequest).stream.endAfterHeaders;
  return h.transferEncoding !== undefined;
}
