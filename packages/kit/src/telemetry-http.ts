import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { newSpanId, newTraceId, type RequestContext } from './context.ts';
import { contextOf, remoteParent, startSpan } from './telemetry.ts';

/** Probes are polled every few hundred ms by supervisors: tracing them would bury the real traffic. */
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics', '/internal/events']);

/**
 * The SERVER span of one incoming request, child of the caller's
 * `traceparent`, named after the route template (`POST /api/checkout`).
 * Probes and the long-polled event feed get ids but are not sampled.
 */
export function startServerSpan(request: FastifyRequest, base: Omit<RequestContext, 'traceId' | 'spanId'>): RequestContext {
  const header = request.headers.traceparent;
  const parent = remoteParent(Array.isArray(header) ? header[0] : header);
  const route = request.routeOptions.url;
  if (route !== undefined && UNTRACED.has(route)) return { ...base, traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId(), traceFlags: 0 };
  const span = startSpan(`${request.method} ${route ?? 'unmatched'}`, {
    kind: SpanKind.SERVER,
    parent,
    attributes: { 'http.request.method': request.method, 'http.route': route ?? 'unmatched', 'url.path': request.url.split('?')[0] ?? '/' },
  });
  return contextOf(span, base);
}

/** End the request's span with its HTTP status (5xx marks it failed). */
export function endServerSpan(ctx: RequestContext | undefined, status: number): void {
  const span = ctx?.span;
  if (!span) return;
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
