import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, SpanKind, SpanStatusCode, commonErrors, formatTraceparent, remoteParent, startSpan, type Principal, type Span } from '@bazaar/kit';
import { bearerToken } from '../auth/verifier.ts';
import { errors } from '../errors.ts';
import type { Decision } from '../limits/bucket.ts';
import type { LoginDecision } from '../limits/limiter.ts';
import { IDEMPOTENT_METHODS, type Route } from '../routes.ts';
import type { Upstream } from '../upstream/balancer.ts';
import { type ProxyContext, redactPath } from './context.ts';
import type { Failure } from './failures.ts';
import { webErrorPage } from './web.ts';
import { HSTS, SECURITY_HEADERS, addForwardingHeaders, appendResponseHeaders, forwardedFor, hasBody, normalizeIp, readRequestHeaders, type RequestHeaders } from './headers.ts';
import { BodyLimit, readBody, readLoginBody } from './login.ts';
import { problemBody, problemHeaders } from './problem.ts';
import { UpstreamCall, type CallOwner } from './upstream-call.ts';

export type Req = IncomingMessage | Http2ServerRequest;

/** For pages (proxy/web.ts): the area serving them whatever the path, and the key of their rules. */
export interface WebTarget {
  area: string;
  rules: string;
}
export type Res = ServerResponse | Http2ServerResponse;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BAD_PATH = /(?:^|\/)\.{1,2}(?:\/|$)|%2e|%2f|%5c|\\|\/\//i;
const kExchange = Symbol('exchange');

function onClientClose(this: Res): void {
  (this as unknown as Record<symbol, Exchange>)[kExchange]?.clientClosed();
}

/**
 * One request through the gateway, as a small state machine: check the
 * route, the token, the rate limit (and for login, the login limits), then
 * hand over to an UpstreamCall that streams the answer back through it. The
 * common case (a cached token, in-memory buckets) runs without a promise;
 * the hot path allocates this object, the call, the header lists and little
 * else.
 */
export class Exchange implements CallOwner {
  readonly started = performance.now();
  readonly method: string;
  readonly url: string;
  private path = '';
  private requestId = '';
  private traceId = '';
  /** This request's SERVER span; recording only when sampled (attributes are set at the end, and only then). */
  private span: Span | undefined;
  private headers!: RequestHeaders;
  private clientIp = '';
  private route: Route | undefined;
  private upstream: Upstream | undefined;
  private call: UpstreamCall | undefined;
  private principal: Principal | undefined;
  private decision: Decision | undefined;
  private loginEmail: string | undefined;
  private loginCharged: LoginDecision['charged'] | undefined;
  private status = 0;
  /** The user's in-flight slot for the upstream, held until the exchange finishes. */
  private inFlightSlot: string | undefined;
  private code: string | undefined;
  body: Buffer | Readable | null = null;
  failure: Failure | undefined;
  servedBy: string | undefined;
  attempts = 0;
  done = false;

  private readonly ctx: ProxyContext;
  private readonly req: Req;
  /** Typed as HTTP/1's; the HTTP/2 compatibility response has the same methods. */
  private readonly res: ServerResponse;
  private readonly https: boolean;
  /** Set for pages (proxy/web.ts): the area serving them, whatever the path. */
  private readonly web: WebTarget | undefined;
  private upstreamHeaders: IncomingHttpHeaders | undefined;

  constructor(ctx: ProxyContext, req: Req, res: Res, https: boolean, web?: WebTarget) {
    this.ctx = ctx;
    this.req = req;
    this.res = res as ServerResponse;
    this.https = https;
    this.web = web;
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
  }

  get forward(): string[] {
    return this.headers.forward;
  }

  get bodyLimit(): number {
    return this.route?.bodyLimit ?? this.ctx.bodyLimit;
  }

  run(): void {
    const ctx = this.ctx;
    (this.res as unknown as Record<symbol, Exchange>)[kExchange] = this;
    this.res.on('close', onClientClose);
    const h = (this.headers = readRequestHeaders(this.req.rawHeaders));
    this.requestId = h.requestId !== undefined && REQUEST_ID.test(h.requestId) ? h.requestId : randomUUID();
    const span = (this.span = startSpan('gateway', { kind: SpanKind.SERVER, parent: remoteParent(h.traceparent) }));
    const sc = span.spanContext();
    this.traceId = sc.traceId;
    const forwarded = forwardedFor(normalizeIp(this.req.socket?.remoteAddress), h.forwardedFor, ctx.trustProxyHops);
    this.clientIp = forwarded.clientIp;
    const q = this.url.indexOf('?');
    this.path = q < 0 ? this.url : this.url.slice(0, q);
    if (BAD_PATH.test(this.path)) return this.fail(errors.INVALID_PATH('Send the path without "." or ".." segments, empty segments or encoded slashes.'));
    const slash = this.path.indexOf('/', 5);
    const area = this.web ? this.web.area : slash < 0 ? this.path.slice(5) : this.path.slice(5, slash);
    const upstream = ctx.upstreams.get(area);
    if (!upstream) return this.fail(errors.UNKNOWN_AREA(`No service serves ${redactPath(this.path)}; known areas: ${[...ctx.upstreams.keys()].join(', ')}.`));
    this.upstream = upstream;
    if (this.method === 'OPTIONS' && h.origin !== undefined && h.preflightMethod !== undefined) return this.preflight(area, h.origin, h.preflightMethod);
    const rules = this.web ? this.web.rules : area;
    const route = ctx.routes.match(rules, this.method, this.path);
    if (!route) {
      const allowed = ctx.routes.allowedMethods(rules, this.path);
      if (allowed.length === 0) return this.fail(commonErrors.ROUTE_NOT_FOUND(`No route for ${this.method} ${redactPath(this.path)}.`));
      return this.fail(commonErrors.METHOD_NOT_ALLOWED(`${this.method} is not allowed here; use ${allowed.join(', ')}.`), ['allow', allowed.join(', ')]);
    }
    this.route = route;
    const limit = route.bodyLimit ?? ctx.bodyLimit;
    if (h.contentLength !== undefined && Number(h.contentLength) > limit) {
      return this.fail(commonErrors.BODY_TOO_LARGE(`The body is ${h.contentLength} bytes; the limit here is ${limit}.`));
    }
    addForwardingHeaders(h, { forwardedFor: forwarded.header, proto: this.https ? 'https' : 'http', requestId: this.requestId, traceparent: formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags) });

    if (h.duplicateAuthorization) return this.fail(errors.DUPLICATE_HEADER('Send one Authorization header.'));
    const token = bearerToken(h.authorization);
    if (token === null) return this.unauthenticated(commonErrors.UNAUTHENTICATED('The Authorization header must be "Bearer <token>".'));
    if (token === undefined) {
      if (route.access !== 'public') return this.unauthenticated(commonErrors.UNAUTHENTICATED('Send an access token: Authorization: Bearer <token> (POST /api/identity/login).'));
      return this.limit();
    }
    const known = ctx.verifier.cached(token);
    if (known) return this.authorized(known);
    ctx.verifier
      .verify(token)
      .then(
        (principal) => this.authorized(principal),
        (error: unknown) => this.tokenRejected(error),
      )
      .catch(this.crashed);
  }

  /** A bug on an asynchronous step must answer 500, not take the process down with an unhandled rejection. */
  readonly crashed = (error: unknown): void => {
    this.ctx.logger.error({ err: error, requestId: this.requestId }, 'gateway error');
    if (!this.done) this.fail(commonErrors.INTERNAL('An unexpected error occurred in the gateway; it has been logged with this request id.'));
  };

  private authorized(principal: Principal): void {
    this.principal = principal;
    if (this.route?.access === 'admin' && !principal.roles.includes('admin')) {
      return this.fail(commonErrors.FORBIDDEN('This operation needs the "admin" role.'));
    }
    this.limit();
  }

  private tokenRejected(error: unknown): void {
    const appError = error instanceof AppError ? error : commonErrors.UNAUTHENTICATED('The access token is not valid.');
    if (appError.status !== 401) return this.fail(appError);
    // A bad token still costs the caller's address a token, so guessing is rate limited too.
    const decision = this.ctx.limiter.take(this.route?.limit ?? 'read', `ip:${this.clientIp}`);
    const after = (d: Decision | undefined) => (d && !d.allowed ? this.limited(d) : this.unauthenticated(appError, 'invalid_token'));
    if (decision && 'then' in decision) decision.then(after, () => after(undefined)).catch(this.crashed);
    else after(decision);
  }

  private limit(): void {
    if (this.done) return;
    const route = this.route as Route;
    // The auth class (register, login, refresh) is always per address: attaching any valid token must not buy a fresh budget.
    const subject = this.principal && route.limit !== 'auth' ? `u:${this.principal.id}` : `ip:${this.clientIp}`;
    const decision = this.ctx.limiter.take(route.limit, subject);
    if (decision !== undefined && 'then' in decision) decision.then((d) => this.limited(d), () => this.limited(undefined)).catch(this.crashed);
    else this.limited(decision);
  }

  private limited(decision: Decision | undefined): void {
    if (this.done) return;
    this.decision = decision;
    if (decision && !decision.allowed) {
      return this.fail(errors.RATE_LIMITED(`Rate limit of the "${this.route?.limit}" class reached; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s.`), ['retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))]);
    }
    if (this.principal && this.upstream) {
      const slot = `${this.principal.id}\u0000${this.upstream.name}`;
      if (!this.ctx.inFlight.acquire(slot)) {
        return this.fail(errors.RATE_LIMITED('Too many of your requests are in flight to this service at once; wait for some to finish.'), ['retry-after', '1']);
      }
      this.inFlightSlot = slot;
    }
    if (this.route?.login) return void this.login().catch(this.crashed);
    this.proceed();
  }

  private async login(): Promise<void> {
    const read = await readLoginBody(this.req, this.route?.bodyLimit ?? this.ctx.bodyLimit).catch(() => undefined);
    if (this.done) return;
    if (!read) return this.clientClosed();
    if (read.tooLarge) return this.fail(commonErrors.BODY_TOO_LARGE('The login body is too large.'));
    this.body = read.body;
    if (read.email === undefined) {
      // Fail closed: an attempt the gateway cannot attribute to an account is not forwarded, and costs the address a try.
      await this.ctx.limiter.loginUnreadable(this.clientIp);
      if (this.done) return;
      return this.fail(errors.LOGIN_UNREADABLE('Send a JSON object with "email" and "password" (Content-Type: application/json).'));
    }
    const attempt = await this.ctx.limiter.loginAttempt(read.email, this.clientIp);
    if (this.done) return;
    if (!attempt.allowed) {
      const seconds = Math.max(1, Math.ceil(attempt.retryAfterMs / 1000));
      return this.fail(errors.LOGIN_THROTTLED(`Too many failed logins; try again in ${seconds} s.`), ['retry-after', String(seconds)]);
    }
    this.loginEmail = read.email;
    this.loginCharged = attempt.charged;
    this.proceed();
  }

  private proceed(): void {
    if (this.done) return;
    const route = this.route;
    const idempotent = IDEMPOTENT_METHODS.has(this.method) || route?.idempotent === true;
    const tryMs = idempotent ? route?.tryMs : undefined;
    if (this.body === null && hasBody(this.req, this.headers)) {
      // A route that may pass a stalled instance over needs its body in hand, to send it again.
      if (tryMs !== undefined) return void this.readWhole(idempotent, tryMs).catch(this.crashed);
      // A declared length was checked already and the parser holds the client to it; anything else is counted as it streams.
      this.body = this.headers.contentLength !== undefined ? this.req : this.req.pipe(new BodyLimit(this.bodyLimit));
    }
    this.startCall(idempotent, tryMs);
  }

  private async readWhole(idempotent: boolean, tryMs: number): Promise<void> {
    const read = await readBody(this.req, this.bodyLimit).catch(() => undefined);
    if (this.done) return;
    if (!read) return this.clientClosed();
    if (read.tooLarge) return this.fail(commonErrors.BODY_TOO_LARGE(`The body is over the limit of this route (${this.bodyLimit} bytes).`));
    this.body = read.body;
    this.startCall(idempotent, tryMs);
  }

  private startCall(idempotent: boolean, tryMs: number | undefined): void {
    this.call = new UpstreamCall(this, this.upstream as Upstream, this.route?.timeoutMs ?? this.ctx.timeoutMs, { idempotent, tryMs });
    this.call.attempt();
  }

  clientClosed(): void {
    if (this.done) return;
    this.failure = 'client';
    // Finished first: aborting may call back into the upstream call at once, which must see the exchange is over.
    this.finish(499);
    this.call?.abort();
  }

  respondHead(status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    const out: string[] = [];
    appendResponseHeaders(out, headers);
    this.upstreamHeaders = headers;
    this.appendOwnHeaders(out);
    this.res.writeHead(status, out);
    if (this.loginEmail !== undefined && this.loginCharged !== undefined && status >= 200 && status < 300) {
      this.ctx.limiter.loginSucceeded(this.loginEmail, this.clientIp, this.loginCharged).catch(() => undefined);
    }
  }

  respondData(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  onDrain(resume: () => void): void {
    this.res.once('drain', resume);
  }

  respondEnd(chunk: Buffer | undefined): void {
    this.res.end(chunk);
    this.finish(this.status);
  }

  cut(error: Error): void {
    this.res.destroy(error);
    this.finish(this.status);
  }

  private appendOwnHeaders(out: string[]): void {
    if (this.web && this.upstreamHeaders) {
      // Pages bring their own policy (a CSP that allows their styles and scripts); the API defaults fill only the gaps.
      for (let i = 0; i < SECURITY_HEADERS.length; i += 2) {
        const name = SECURITY_HEADERS[i] as string;
        if (this.upstreamHeaders[name] === undefined) out.push(name, SECURITY_HEADERS[i + 1] as string);
      }
    } else for (let i = 0; i < SECURITY_HEADERS.length; i++) out.push(SECURITY_HEADERS[i] as string);
    if (this.https) out.push(HSTS[0] as string, HSTS[1] as string);
    out.push('x-request-id', this.requestId);
    const d = this.decision;
    if (d) out.push('ratelimit-limit', String(d.limit), 'ratelimit-remaining', String(d.remaining), 'ratelimit-reset', String(Math.ceil(d.resetMs / 1000)));
    this.ctx.cors.appendActual(out, this.headers?.origin);
    if (this.ctx.closing && this.req.httpVersionMajor === 1) out.push('connection', 'close');
  }

  private preflight(area: string, origin: string, method: string): void {
    if (!this.ctx.cors.allowed(origin)) return this.fail(commonErrors.FORBIDDEN(`Origin ${origin} may not call this API.`));
    if (!this.ctx.routes.match(area, method.toUpperCase(), this.path)) return this.fail(commonErrors.ROUTE_NOT_FOUND(`No route for ${method} ${redactPath(this.path)}.`));
    const out = this.ctx.cors.preflight(origin);
    out.push('x-request-id', this.requestId, 'content-length', '0');
    this.res.writeHead(204, out);
    this.res.end();
    this.finish(204);
  }

  private unauthenticated(error: AppError, reason?: string): void {
    this.fail(error, ['www-authenticate', reason ? `Bearer realm="bazaar", error="${reason}"` : 'Bearer realm="bazaar"']);
  }

  /** Answer with a problem document from the gateway itself. */
  fail(error: AppError, extra?: string[]): void {
    if (this.done) return;
    if (this.res.headersSent) return this.cut(error);
    this.call?.release();
    this.code = error.code;
    this.status = error.status;
    let body: string;
    let out: string[];
    if (this.web) {
      // A browser on a page path gets a page, not a problem document.
      ({ body, headers: out } = webErrorPage(error, this.requestId));
      if (extra) out.push(...extra);
      this.upstreamHeaders = { 'content-security-policy': 'set' };
    } else {
      body = problemBody(error, redactPath(this.path), this.requestId);
      out = problemHeaders(body, extra);
    }
    this.appendOwnHeaders(out);
    const unread = this.req.httpVersionMajor === 1 && !this.req.readableEnded && this.body !== this.req && (this.headers?.contentLength ?? '0') !== '0';
    this.res.writeHead(error.status, out);
    this.res.end(this.method === 'HEAD' ? undefined : body);
    if (unread) lingerOn(this.req);
    this.finish(error.status);
  }

  finish(status: number): void {
    if (this.done) return;
    this.done = true;
    if (this.inFlightSlot !== undefined) this.ctx.inFlight.release(this.inFlightSlot);
    const seconds = (performance.now() - this.started) / 1000;
    this.ctx.metrics.observe(this.route, this.method, status, seconds);
    this.endSpan(status);
    this.ctx.accessLog?.write({
      method: this.method,
      path: redactPath(this.path),
      route: this.route?.pattern ?? 'unmatched',
      status,
      durationMs: Math.round(seconds * 10_000) / 10,
      upstream: this.servedBy,
      attempts: this.attempts,
      userId: this.principal?.id,
      clientIp: this.clientIp,
      requestId: this.requestId,
      traceId: this.traceId,
      spanId: this.span?.spanContext().spanId ?? '',
      code: this.code,
      failure: this.failure,
    });
  }

  private endSpan(status: number): void {
    const span = this.span;
    if (!span) return;
    if (span.isRecording()) {
      const route = this.route?.pattern ?? 'unmatched';
      span.updateName(`${this.method} ${route}`);
      span.setAttributes({ 'http.request.method': this.method, 'http.route': route, 'url.path': redactPath(this.path), 'http.response.status_code': status, 'bazaar.upstream': this.servedBy ?? '', 'bazaar.attempts': this.attempts });
      if (this.upstream) span.setAttribute('bazaar.area', this.upstream.name);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, ...(this.code === undefined ? {} : { message: this.code }) });
    }
    span.end();
  }
}

/** How much of a refused request's body the gateway reads and drops, and for how long, before it hangs up. */
const LINGER_BYTES = 8 * 1024 * 1024;
const LINGER_MS = 5000;

/**
 * The answer went out before the request's body was read (a 413, a 401, a
 * 429…), and the client may still be sending it. Closing now would reset a
 * connection it is writing on: its writes fail (EPIPE) and it may never read
 * the answer (undici's fetch reports the failed write, not the 413). So the
 * rest of the body is read and dropped, as nginx's lingering close does, and
 * the connection is kept for the client's next request, but only up to
 * LINGER_BYTES or LINGER_MS: past either the connection is cut.
 */
function lingerOn(req: Req): void {
  let bytes = 0;
  const cut = (): void => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > LINGER_BYTES) cut();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
