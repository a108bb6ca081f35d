import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { commonErrors, type AppError } from '@bazaar/kit';
import { errors } from '../errors.ts';
import type { Instance, Upstream } from '../upstream/balancer.ts';
import { classify, type Failure } from './failures.ts';
import { BodyTooLargeError } from './login.ts';

type Controller = Dispatcher.DispatchController;

/** What the upstream call needs from the request it serves. */
export interface CallOwner {
  readonly method: string;
  readonly url: string;
  /** When the gateway received the request (performance.now()). */
  readonly started: number;
  /** Headers to send; the last two values are the time elapsed and the budget, rewritten per attempt. */
  readonly forward: string[];
  readonly body: Buffer | Readable | null;
  readonly bodyLimit: number;
  /** Set when the answer is over, whichever way. */
  readonly done: boolean;
  /** Why the exchange ended badly, for the access log. */
  failure: Failure | undefined;
  servedBy: string | undefined;
  attempts: number;
  /** Write the upstream's status and headers (plus the gateway's) to the client. */
  respondHead(status: number, headers: IncomingHttpHeaders): void;
  respondData(chunk: Buffer): boolean;
  onDrain(resume: () => void): void;
  /** End the answer, with its last (often only) chunk. */
  respondEnd(chunk: Buffer | undefined): void;
  /** Cut an answer already started. */
  cut(error: Error): void;
  fail(error: AppError, extra?: string[]): void;
  finish(status: number): void;
}

function onDeadline(call: UpstreamCall): void {
  call.deadlinePassed();
}

/** How a route's requests may be repeated (routes.ts). */
export interface RetryPolicy {
  /** Safe to send again: an idempotent method, or a route declared idempotent (a keyed POST). */
  readonly idempotent: boolean;
  /** The longest one instance gets before an idempotent request goes to another (EdgeOptions.tryMs). */
  readonly tryMs: number | undefined;
}

/**
 * The upstream side of one request: picks an instance, honours the breaker
 * and the deadline, streams the answer back through its owner, and retries on
 * another instance when that is safe — any request whose connection could not
 * be made, idempotent ones after a reset or a 503, never a streamed body that
 * may have been acted on (with a single instance, an idempotent request reset
 * before any answer is sent once more to it, on a new connection). On a route
 * with a `tryMs`, an instance that has not begun to answer by then (frozen,
 * stalled) is passed over: the same request goes to another, within the same
 * deadline. It is the undici dispatch handler itself, so a request costs this
 * object and no closures.
 */
export class UpstreamCall implements Dispatcher.DispatchHandler {
  private readonly owner: CallOwner;
  private readonly upstream: Upstream;
  private readonly deadline: number;
  private readonly policy: RetryPolicy;
  /** This attempt was given `tryMs` rather than all the time left: when it runs out, another instance gets the request. */
  private shortTry = false;
  /** The attempt is being aborted because its try ran out. */
  private passingOver = false;
  private instance: Instance | undefined;
  private tried: Instance | undefined;
  private timer: NodeJS.Timeout | undefined;
  private controller: Controller | null = null;
  private started = false;
  private discard = false;
  /** The first body chunk, held back: most answers are one chunk, sent with end() in a single write. */
  private held: Buffer | undefined;

  constructor(owner: CallOwner, upstream: Upstream, timeoutMs: number, policy: RetryPolicy) {
    this.owner = owner;
    this.upstream = upstream;
    this.deadline = Date.now() + timeoutMs;
    this.policy = policy;
  }

  attempt(): void {
    const upstream = this.upstream;
    const now = Date.now();
    if (!upstream.breaker.allow(now)) {
      const seconds = Math.max(1, Math.ceil(upstream.breaker.retryAfterMs(now) / 1000));
      return this.owner.fail(errors.CIRCUIT_OPEN(`The ${upstream.name} service keeps failing; calls are paused for ${seconds} s.`), ['retry-after', String(seconds)]);
    }
    const remaining = this.deadline - now;
    const instance = remaining > 0 ? upstream.pick(this.tried, now) : undefined;
    if (!instance) {
      upstream.breaker.abandon();
      if (remaining <= 0) return this.owner.fail(commonErrors.UPSTREAM_TIMEOUT(`The ${upstream.name} service did not answer in time.`));
      return this.owner.fail(commonErrors.UPSTREAM_UNAVAILABLE(`No instance of ${upstream.name} is available.`));
    }
    this.instance = instance;
    this.owner.servedBy = instance.url;
    this.owner.attempts += 1;
    instance.inFlight += 1;
    const tryMs = this.policy.tryMs;
    // Shorter only when the request could then go elsewhere (this attempt is already counted).
    this.shortTry = tryMs !== undefined && tryMs < remaining && this.retryable(false);
    const budget = this.shortTry ? (tryMs as number) : remaining;
    const headers = this.owner.forward;
    // Only a repeat has spent time worth telling (orders counts its saga deadline from it); a first attempt says 0.
    headers[headers.length - 3] = this.owner.attempts === 1 ? '0' : String(Math.round(performance.now() - this.owner.started));
    headers[headers.length - 1] = String(budget);
    this.timer = setTimeout(onDeadline, budget, this);
    instance.pool.dispatch({ method: this.owner.method as Dispatcher.HttpMethod, path: this.owner.url, headers, body: this.owner.body }, this);
  }

  /** The client went away: stop the upstream call. */
  abort(): void {
    if (this.controller) this.controller.abort(new Error('client closed'));
    else this.release();
  }

  /** @internal the deadline (or the attempt's shorter try) passed. */
  deadlinePassed(): void {
    this.timer = undefined;
    if (this.shortTry) {
      // No answer begun within the try: the instance is frozen or stalled. The request is safe to repeat and its
      // body is held, so another instance gets it now; this one's answer, if it ever comes, is dropped.
      if (this.controller) {
        this.passingOver = true;
        return this.controller.abort(new Error('try expired'));
      }
      this.settle(false);
      return this.retry();
    }
    this.owner.failure = 'timeout';
    if (this.controller) return this.controller.abort(new Error('deadline'));
    // Still queued for a connection: nothing was sent, so answer now.
    this.settle(false);
    this.owner.fail(commonErrors.UPSTREAM_TIMEOUT(`The ${this.upstream.name} service did not answer in time.`));
  }

  onRequestStart(controller: Controller): void {
    if (this.owner.done || this.owner.failure !== undefined) return controller.abort(new Error('abandoned'));
    this.controller = controller;
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: IncomingHttpHeaders): void {
    const ok = statusCode < 502 || statusCode > 504;
    if (statusCode === 503 && this.retryable(false)) {
      // A closing or overloaded instance: drain its answer and try another.
      this.discard = true;
      return;
    }
    this.settle(ok);
    this.started = true;
    this.owner.respondHead(statusCode, headers);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.discard) return;
    if (this.held === undefined) {
      this.held = chunk;
      return;
    }
    const first = this.held;
    if (first.length > 0) {
      this.held = Buffer.alloc(0);
      this.owner.respondData(first);
    }
    if (!this.owner.respondData(chunk)) {
      controller.pause();
      this.owner.onDrain(() => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.controller = null;
    if (this.discard) {
      this.settle(false);
      return this.retry();
    }
    const last = this.held;
    this.held = undefined;
    this.owner.respondEnd(last !== undefined && last.length > 0 ? last : undefined);
  }

  onResponseError(_controller: Controller | null, error: Error): void {
    this.controller = null;
    const owner = this.owner;
    if (owner.done) return this.release();
    if (this.passingOver) {
      this.passingOver = false;
      this.settle(false);
      return this.retry();
    }
    if (this.started) {
      // The answer had started: all that can be done is to cut it, so the client sees it incomplete.
      this.settle(false);
      return owner.cut(error);
    }
    if (error instanceof BodyTooLargeError) {
      owner.failure = 'body';
      this.release();
      return owner.fail(commonErrors.BODY_TOO_LARGE(`The body is over the limit of this route (${owner.bodyLimit} bytes).`));
    }
    const failure = owner.failure ?? classify(error);
    this.settle(false);
    if ((failure === 'connect' && this.retryable(true)) || (failure === 'reset' && this.retryable(false))) return this.retry();
    if (failure === 'reset' && this.resendable()) {
      // The only instance reset the connection before answering: most often it was closing an idle kept-alive
      // socket just as the request went out on it (the keep-alive race, wider on a busy machine). A request that
      // is safe to repeat goes once more, on a new connection to the same instance.
      this.tried = undefined;
      return this.retry();
    }
    owner.failure = failure;
    const name = this.upstream.name;
    switch (failure) {
      case 'timeout':
        return owner.fail(commonErrors.UPSTREAM_TIMEOUT(`The ${name} service did not answer in time.`));
      case 'connect':
        return owner.fail(commonErrors.UPSTREAM_UNAVAILABLE(`The ${name} service is unavailable right now; try again shortly.`));
      case 'reset':
        return owner.fail(errors.UPSTREAM_RESET(`The ${name} service closed the connection before answering.`));
      default:
        return owner.fail(commonErrors.UPSTREAM_FAILED(`The ${name} service failed.`));
    }
  }

  /** May the request go to another instance now? */
  private retryable(connectFailure: boolean): boolean {
    if (this.owner.attempts >= Math.min(3, this.upstream.instances.length) || Date.now() >= this.deadline) return false;
    if (this.owner.body !== null && !Buffer.isBuffer(this.owner.body)) return false;
    return connectFailure || this.policy.idempotent;
  }

  /** One more try on the same (only) instance after a reset: idempotent, a body that can be sent again, time left. */
  private resendable(): boolean {
    if (this.upstream.instances.length !== 1 || this.owner.attempts >= 2 || Date.now() >= this.deadline) return false;
    if (this.owner.body !== null && !Buffer.isBuffer(this.owner.body)) return false;
    return this.policy.idempotent;
  }

  private retry(): void {
    this.owner.failure = undefined;
    this.discard = false;
    this.attempt();
  }

  /** Record the attempt's outcome for balancing and the breaker. */
  private settle(ok: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const instance = this.instance;
    if (!instance) return;
    instance.inFlight -= 1;
    this.upstream.record(instance, ok);
    this.tried = instance;
    this.instance = undefined;
  }

  /** End the attempt without a verdict (the client left, the body was too large). */
  release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.instance) return;
    this.instance.inFlight -= 1;
    this.instance = undefined;
    this.upstream.breaker.abandon();
  }
}
