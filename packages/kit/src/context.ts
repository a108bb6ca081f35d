import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';

/** What travels with one request through this process and onward to other services. */
export interface RequestContext {
  requestId: string;
  traceId: string;
  /** The span id of the current server span; outgoing calls name it as their parent. */
  spanId: string;
  /** Milliseconds since epoch after which the caller no longer waits. */
  deadline?: number;
  /**
   * When the edge first received this request (ms since epoch, on this process's clock), when earlier than now:
   * the gateway sent it to another instance first, which did not answer.
   */
  receivedAt?: number;
  /** W3C trace flags of the current span (1: sampled); absent means sampled. */
  traceFlags?: number;
  /** The current OpenTelemetry span (telemetry.ts), when one is open. */
  span?: Span;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Run `fn` with `ctx` as the current request context. */
export function withContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Run `fn` outside any request context (background work started from inside one: it belongs to none). */
export function outsideContext<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** The current request context, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Bind `ctx` to the rest of the current async execution (used from a fastify hook). */
export function enterContext(ctx: RequestContext): void {
  storage.enterWith(ctx);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** Parse a W3C `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header). */
export function parseTraceparent(header: string | undefined): { traceId: string; parentId: string } | undefined {
  const m = header === undefined ? null : TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return undefined;
  const traceId = m[1] as string;
  const parentId = m[2] as string;
  // All-zero ids are invalid per the spec.
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId };
}

/** Format a `traceparent` for an outgoing call or event (flags: sampled unless told). */
export function formatTraceparent(traceId: string, spanId: string, traceFlags = 1): string {
  return `00-${traceId}-${spanId}-${traceFlags === 0 ? '00' : '01'}`;
}

/** The `traceparent` naming the current span as parent, when there is a current context. */
export function currentTraceparent(): string | undefined {
  const ctx = storage.getStore();
  return ctx ? formatTraceparent(ctx.traceId, ctx.spanId, ctx.traceFlags) : undefined;
}

/** A fresh span id (16 hex digits) and trace id (32), never all zero, from the kit's pool of random bytes (ids.ts). */
export { nextSpanId as newSpanId, nextTraceId as newTraceId } from './ids.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id from an incoming header when it is sane, otherwise a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}
