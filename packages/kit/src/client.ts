import { Pool, errors as undiciErrors } from 'undici';
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
  type CircuitState,
} from 'cockatiel';
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { AppError, commonErrors, type ProblemDetails } from './errors.ts';
import { currentContext, formatTraceparent, newSpanId } from './context.ts';
import { DEADLINE_HEADER } from './app.ts';
import { SERVICE_TOKEN_HEADER } from './service-auth.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ServiceClientOptions {
  /** The upstream's name, used in errors and logs. */
  name: string;
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
  /** Sent as the service credential on every call (for /internal endpoints). */
  serviceToken?: string;
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

/** A typed HTTP client for one upstream service. */
export interface ServiceClient {
  readonly name: string;
  call<S extends TSchema | undefined = undefined>(
    opts: CallOptions<S>,
  ): Promise<ClientResponse<S extends TSchema ? Static<S> : unknown>>;
  /** The breaker's state: closed, open, half-open or isolated. */
  breakerState(): CircuitState;
  close(): Promise<void>;
}

const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

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
  if (error instanceof undiciErrors.UndiciError) return !(error instanceof undiciErrors.RequestAbortedError);
  const code = (error as { code?: string }).code;
  return code !== undefined && NETWORK_ERROR_CODES.has(code);
}

/**
 * Client for calling another Bazaar service: keep-alive pool, a timeout on
 * every attempt, jittered retries for idempotent calls only, a circuit
 * breaker for this upstream, request id / traceparent / deadline propagation.
 */
export function createServiceClient(opts: ServiceClientOptions): ServiceClient {
  const pool = new Pool(opts.baseUrl, { connections: opts.connections ?? 32, pipelining: 1 });
  const defaultTimeout = opts.timeoutMs ?? 2000;
  const breaker = circuitBreaker(handleWhen(isTransient), {
    halfOpenAfter: opts.breakerHalfOpenAfterMs ?? 5000,
    breaker: new ConsecutiveBreaker(opts.breakerThreshold ?? 5),
  });
  const retryPolicy = retry(
    handleWhen((e) => isTransient(e) && !(e instanceof BrokenCircuitError)),
    { maxAttempts: opts.retries ?? 2, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }) },
  );

  async function attempt(callOpts: CallOptions<TSchema | undefined>, signal: AbortSignal): Promise<ClientResponse<unknown>> {
    const ctx = currentContext();
    const headers: Record<string, string> = { accept: 'application/json', ...callOpts.headers };
    if (opts.serviceToken !== undefined) headers[SERVICE_TOKEN_HEADER] = opts.serviceToken;
    if (ctx) {
      headers['x-request-id'] = ctx.requestId;
      headers.traceparent = formatTraceparent(ctx.traceId, newSpanId());
      if (ctx.deadline !== undefined) headers[DEADLINE_HEADER] = String(Math.max(1, ctx.deadline - Date.now()));
    }
    let body: string | undefined;
    if (callOpts.body !== undefined) {
      body = JSON.stringify(callOpts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await pool.request({ method: callOpts.method, path: withQuery(callOpts.path, callOpts.query), headers, body: body ?? null, signal });
    const text = await res.body.text();
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

  return {
    name: opts.name,
    breakerState: () => breaker.state,
    async call(callOpts) {
      const ctx = currentContext();
      const remaining = ctx?.deadline === undefined ? Infinity : ctx.deadline - Date.now();
      if (remaining <= 0) throw commonErrors.UPSTREAM_TIMEOUT(`No time left in the request's deadline to call ${opts.name}.`);
      const perAttempt = Math.min(callOpts.timeoutMs ?? defaultTimeout, remaining);
      const idempotent = callOpts.idempotent ?? IDEMPOTENT.has(callOpts.method);
      const timeoutPolicy = timeout(perAttempt, TimeoutStrategy.Aggressive);
      const policy = idempotent ? wrap(retryPolicy, breaker, timeoutPolicy) : wrap(breaker, timeoutPolicy);
      let response: ClientResponse<unknown>;
      try {
        response = await policy.execute(({ signal }) => attempt(callOpts, signal));
      } catch (error) {
        throw mapFailure(opts.name, error);
      }
      if (response.status >= 400) {
        throw new UpstreamError(opts.name, response.status, response.body as Partial<ProblemDetails> | undefined);
      }
      if (callOpts.response && !Value.Check(callOpts.response, response.body)) {
        const first = Value.Errors(callOpts.response, response.body)[0];
        throw commonErrors.UPSTREAM_FAILED(`${opts.name} answered with an unexpected body (${first?.instancePath ?? ''} ${first?.message ?? ''}).`);
      }
      return response as ClientResponse<never>;
    },
    async close() {
      await pool.close();
    },
  };
}

function mapFailure(name: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof BrokenCircuitError) {
    return commonErrors.UPSTREAM_UNAVAILABLE(`${name} is failing; calls are paused for a few seconds (circuit open).`);
  }
  if (error instanceof TaskCancelledError || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
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
