import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { startSpan, contextOf } from './telemetry.ts';
import { currentContext, withContext } from './context.ts';

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
      throw error;
    } finally {
      span.end();
    }
  });
}
