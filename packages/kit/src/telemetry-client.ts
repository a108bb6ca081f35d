import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { startSpan, contextOf } from './telemetry.ts';
import { currentContext, withContext } from './context.ts';

/**
 * What kind of failure a call's error was, when the span should say more than
 * its message: set on the error by the client (OpenTelemetry's `error.type`).
 * `circuit_open`: the caller's breaker refused the call; nothing was sent.
 */
export const ERROR_TYPE: unique symbol = Symbol('bazaar.error.type');

/**
 * Run one outgoing call in a CLIENT span named after the upstream
 * (`POST payments`); the call's traceparent names this span, so the
 * upstream's SERVER span is its child. Retries happen inside it.
 */
export function clientSpan<T extends { status: number }>(upstream: string, call: { method: string; path: string }, fn: () => Promise<T>): Promise<T> {
  const path = call.path.split('?')[0] ?? call.path;
  const span = startSpan(`${call.method} ${upstream}`, { kind: SpanKind.CLIENT, attributes: { 'peer.service': upstream, 'http.request.method': call.method, 'url.path': path } });
  return withContext(contextOf(span, currentContext() ?? {}), async () => {
    try {
      const response = await fn();
      if (span.isRecording()) span.setAttribute('http.response.status_code', response.status);
      return response;
    } catch (error) {
      const status = (error as { upstreamStatus?: unknown }).upstreamStatus;
      if (span.isRecording() && typeof status === 'number') span.setAttribute('http.response.status_code', status);
      // A 4xx is the caller's business (a declined card, a missing cart): the edge between the two stays healthy.
      if (typeof status !== 'number' || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      const type = (error as { [ERROR_TYPE]?: unknown } | null)?.[ERROR_TYPE];
      if (span.isRecording() && typeof type === 'string') span.setAttribute('error.type', type);
      throw error;
    } finally {
      span.end();
    }
  });
}
