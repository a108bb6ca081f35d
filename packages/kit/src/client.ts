import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  CircuitState,
} from 'cockatiel';
import type { Static, TSchema } from 'typebox';
import { firstViolation } from './check.ts';
import { pathOf, type InputOf, type ReplyOf, type RouteDef } from '@bazaar/contracts';
import { AppError, commonErrors, type ProblemDetails } from './errors.ts';
import { currentContext, formatTraceparent } from './context.ts';
import { ERROR_TYPE, clientSpan } from './telemetry-client.ts';
import { DEADLINE_HEADER } from './app.ts';
import { SERVICE_CREDENTIAL_HEADER, type ServiceCredentials } from './service-auth.ts';
import { InstanceRing, instanceUrls } from './instances.ts';
import { HttpPool, type PoolRequest } from './http-pool.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ServiceClientOptions {
  /** The upstream's name, used in errors and logs. */
  name: string;
  /** Base URL of the service, or of each of its instances separated by commas (calls are spread round-robin). */
  baseUrl: string;
  /** Per-attempt timeout; also capped by the request's remaining deadline. Default 2000 ms. */
  timeoutMs?: number;
  /** Attempts after the first, for idempotent calls only. Default 2. */
  retries?: number;
  /** Consecutive failures that open the breaker. Default 5. */
  breakerThreshold?: number;
  /** How long the breaker stays open before one trial call. Default 5000 ms. */
  breakerHalfOpenAfterMs?: number;
  /** Keep-alive connections in the pool. Default 32. */
  connections?: number;
  /** The calling service's credentials: its name and its secret for this upstream (`name`) go with every call (for /internal endpoints). */
  credentials?: Pick<ServiceCredentials, 'headerFor'>;
}

export interface CallOptions<S extends TSchema | undefined> {
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Retry on transient failure. Default: true for GET/HEAD/PUT/DELETE, false otherwise. */
  idempotent?: boolean;
  /** Validate the 2xx body against this schema. */
  response?: S;
  timeoutMs?: number;
}

export interface ClientResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/** An upstream answered with an error status; carries its problem document. */
export class UpstreamError extends AppError {
  readonly upstream: string;
  readonly upstreamStatus: number;
  readonly problem: Partial<ProblemDetails> | undefined;
  constructor(upstream: string, status: number, problem: Partial<ProblemDetails> | undefined) {
    super({
      code: 'UPSTREAM_FAILED',
      status: 502,
      title: 'A service this request needs failed',
      detail: `${upstream} answered ${status}${problem?.detail ? `: ${problem.detail}` : ''}`,
    });
    this.upstream = upstream;
    this.upstreamStatus = status;
    this.problem = problem;
  }
}

/** Per-call settings of a route call. */
export interface RouteCallOptions {
  /** Per-attempt timeout, when not the client's. */
  timeoutMs?: number;
  /** Override the route's idempotency (e.g. false where the caller retries itself). */
  idempotent?: boolean;
  /** More headers (beside the route's declared ones). */
  headers?: Record<string, string>;
}

/** A typed HTTP client for one upstream service. */
export interface ServiceClient {
  readonly name: string;
  /**
   * Call a declared route: the path, method and idempotency come from its
   * descriptor, the input is typed from it, and a successful answer is
   * checked against the schema declared for its status (an undeclared status
   * or a body that does not match is UPSTREAM_FAILED).
   */
  call<R extends RouteDef>(route: R, input: InputOf<R>, options?: RouteCallOptions): Promise<ClientResponse<ReplyOf<R>>>;
  /** A raw call by path, for what is not a Bazaar route (another system's API); prefer call(). */
  request<S extends TSchema | undefined = undefined>(
    opts: CallOptions<S>,
  ): Promise<ClientResponse<S extends TSchema ? Static<S> : unknown>>;
  /** The breaker's state: closed, open, half-open or isolated. */
  breakerState(): CircuitState;
  close(): Promise<void>;
}

/**
 * Timeouts abort the call they end, and only that: cockatiel's default also aborts its signal when the call
 * returns, which makes an AbortError (a DOMException, with its stack trace) for every call answered, twice with a
 * deadline — a couple of percent of a checkout's CPU in orders (docs/performance.md). An answered call has nothing
 * left to cancel: its response has been read.
 */
const ANSWERED_ABORTS_NOTHING = { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false };

const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ENETUNREACH', 'EADDRNOTAVAIL']);
/** Failures that prove the request never reached the instance: safe to send elsewhere, whatever the method. */
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function notConnected(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code !== undefined && NOT_CONNECTED_CODES.has(code);
}

/** Raised inside the policy for a 5xx answer, so retry and breaker see it as a failure. */
class ServerStatus extends Error {
  readonly response: ClientResponse<unknown>;
  constructor(response: ClientResponse<unknown>) {
    super(`status ${response.status}`);
    this.response = response;
  }
}

function isTransient(error: unknown): boolean {
  if (error instanceof ServerStatus || error instanceof TaskCancelledError) return true;
  const code = (error as { code?: string }).code;
  return code !== undefined && NETWORK_ERROR_CODES.has(code);
}

/**
 * Client for calling another Bazaar service: keep-alive pool, a timeout on
 * every attempt, jittered retries for idempotent calls only, a circuit
 * breaker for this upstream, request id / traceparent / deadline propagation.
 * With several instances, calls go round-robin; an instance that refuses the
 * connection is skipped for a while and the call goes to the next one at once
 * (safe for any method: nothing was sent), and an idempotent call retried
 * after another failure goes to the next instance too.
 */
export function createServiceClient(opts: ServiceClientOptions): ServiceClient {
  const defaultTimeout = opts.timeoutMs ?? 2000;
  // The service credential for this upstream (`opts.name` is the service called), derived once.
  const credentialHeader = opts.credentials?.headerFor(opts.name);
  // One pool and one breaker per instance: a dead instance opens its own breaker, not the service's.
  const instances = instanceUrls(opts.baseUrl).map((url) => ({
    pool: new HttpPool(url, { connections: opts.connections ?? 32 }),
    breaker: circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: opts.breakerHalfOpenAfterMs ?? 5000,
      breaker: new ConsecutiveBreaker(opts.breakerThreshold ?? 5),
    }),
  }));
  const ring = new InstanceRing(instances.length);
  const retryPolicy = retry(
    handleWhen((e) => isTransient(e) && !(e instanceof BrokenCircuitError)),
    { maxAttempts: opts.retries ?? 2, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }) },
  );

  function buildRequest(callOpts: CallOptions<TSchema | undefined>): PoolRequest {
    const ctx = currentContext();
    const headers: Record<string, string> = { accept: 'application/json', ...callOpts.headers };
    if (credentialHeader !== undefined) headers[SERVICE_CREDENTIAL_HEADER] = credentialHeader;
    if (ctx) {
      headers['x-request-id'] = ctx.requestId;
      headers.traceparent = formatTraceparent(ctx.traceId, ctx.spanId, ctx.traceFlags);
      if (ctx.deadline !== undefined) headers[DEADLINE_HEADER] = String(Math.max(1, ctx.deadline - Date.now()));
    }
    let body: string | null = null;
    if (callOpts.body !== undefined) {
      body = JSON.stringify(callOpts.body);
      headers['content-type'] = 'application/json';
    }
    return { method: callOpts.method, path: withQuery(callOpts.path, callOpts.query), headers, body };
  }

  async function send(pool: HttpPool, request: PoolRequest, signal: AbortSignal): Promise<ClientResponse<unknown>> {
    const res = await pool.request({ ...request, signal });
    const text = res.text;
    let parsed: unknown = undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const response: ClientResponse<unknown> = { status: res.statusCode, headers: res.headers, body: parsed };
    if (res.statusCode >= 500) throw new ServerStatus(response);
    return response;
  }

  /**
   * One attempt: the next instance in the ring, through its breaker and the
   * timeout. An instance whose breaker is open, or that refuses the
   * connection, is passed over for the next one (nothing was sent to it).
   */
  async function attempt(callOpts: CallOptions<TSchema | undefined>, perAttemptMs: number): Promise<ClientResponse<unknown>> {
    const request = buildRequest(callOpts);
    const tried = new Set<number>();
    let lastError: unknown;
    for (let i = ring.pick(tried); i !== undefined; i = ring.pick(tried)) {
      tried.add(i);
      const instance = instances[i] as (typeof instances)[number];
      try {
        const policy = wrap(instance.breaker, timeout(perAttemptMs, ANSWERED_ABORTS_NOTHING));
        const response = await policy.execute(({ signal }) => send(instance.pool, request, signal));
        ring.restore(i);
        return response;
      } catch (error) {
        lastError = error;
        if (notConnected(error)) ring.eject(i);
        else if (!(error instanceof BrokenCircuitError)) throw error;
      }
    }
    throw lastError;
  }

  const breakerState = (): CircuitState => {
    const states = instances.map((i) => i.breaker.state);
    for (const state of [CircuitState.Closed, CircuitState.HalfOpen, CircuitState.Open]) if (states.includes(state)) return state;
    return CircuitState.Isolated;
  };

  /** One call in its CLIENT span (telemetry-client.ts): the traceparent sent names that span. */
  function rawCall(callOpts: CallOptions<TSchema | undefined>): Promise<ClientResponse<unknown>> {
    return clientSpan(opts.name, callOpts, () => untracedCall(callOpts));
  }

  async function untracedCall(callOpts: CallOptions<TSchema | undefined>): Promise<ClientResponse<unknown>> {
    const ctx = currentContext();
    const remaining = ctx?.deadline === undefined ? Infinity : ctx.deadline - Date.now();
    if (remaining <= 0) throw commonErrors.UPSTREAM_TIMEOUT(`No time left in the request's deadline to call ${opts.name}.`);
    const perAttempt = Math.min(callOpts.timeoutMs ?? defaultTimeout, remaining);
    const idempotent = callOpts.idempotent ?? IDEMPOTENT.has(callOpts.method);
    let response: ClientResponse<unknown>;
    try {
      const run = () => (idempotent ? retryPolicy.execute(() => attempt(callOpts, perAttempt)) : attempt(callOpts, perAttempt));
      // The request's deadline bounds the whole call, retries and backoff included, not just each attempt.
      response = Number.isFinite(remaining) ? await timeout(remaining, ANSWERED_ABORTS_NOTHING).execute(run) : await run();
    } catch (error) {
      throw mapFailure(opts.name, error);
    }
    if (response.status >= 400) {
      throw new UpstreamError(opts.name, response.status, response.body as Partial<ProblemDetails> | undefined);
    }
    const violation = callOpts.response && firstViolation(callOpts.response, response.body);
    if (violation !== undefined) throw commonErrors.UPSTREAM_FAILED(`${opts.name} answered with an unexpected body (${violation}).`);
    return response;
  }

  return {
    name: opts.name,
    breakerState,
    request: rawCall as ServiceClient['request'],
    async call(route, input, options) {
      const given = input as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown; headers?: Record<string, unknown> };
      const headers: Record<string, string> = { ...options?.headers };
      for (const [key, value] of Object.entries(given.headers ?? {})) if (value !== undefined) headers[key] = String(value);
      const response = await rawCall({
        method: route.method,
        path: pathOf(route, given.params),
        ...(given.query === undefined ? {} : { query: given.query as Record<string, string | number | undefined> }),
        body: given.body,
        headers,
        idempotent: options?.idempotent ?? route.idempotent ?? IDEMPOTENT.has(route.method),
        ...(options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      const schema = route.responses[response.status];
      if (response.status === 204) return response as ClientResponse<ReplyOf<typeof route>>;
      if (schema === undefined) {
        throw commonErrors.UPSTREAM_FAILED(`${opts.name} answered ${response.status}, which ${route.method} ${route.path} does not declare.`);
      }
      const violation = firstViolation(schema, response.body);
      if (violation !== undefined) throw commonErrors.UPSTREAM_FAILED(`${opts.name} answered ${route.method} ${route.path} with an unexpected body (${violation}).`);
      return response as ClientResponse<ReplyOf<typeof route>>;
    },
    async close() {
      await Promise.all(instances.map((i) => i.pool.close()));
    },
  };
}

function mapFailure(name: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof BrokenCircuitError) {
    // Marked for the CLIENT span: the breaker refused, no call was made (the topology does not count it as one).
    return Object.assign(commonErrors.UPSTREAM_UNAVAILABLE(`${name} is failing; calls are paused for a few seconds (circuit open).`), { [ERROR_TYPE]: 'circuit_open' });
  }
  if (error instanceof TaskCancelledError) {
    return commonErrors.UPSTREAM_TIMEOUT(`${name} did not answer in time.`);
  }
  if (error instanceof ServerStatus) {
    return new UpstreamError(name, error.response.status, error.response.body as Partial<ProblemDetails> | undefined);
  }
  return commonErrors.UPSTREAM_UNAVAILABLE(`${name} cannot be reached (${(error as { code?: string }).code ?? (error as Error).message}).`);
}

function withQuery(path: string, query: Record<string, string | number | undefined> | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}
