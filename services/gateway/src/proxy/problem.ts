import type { AppError } from '@bazaar/kit';

/** The problem+json document (RFC 9457) for an error the gateway answers itself. */
export function problemBody(error: AppError, instance: string, requestId: string): string {
  return JSON.stringify({ ...error.toProblem(instance), requestId });
}

/** Response headers of a problem answer, before the gateway's own (security, CORS, request id). */
export function problemHeaders(body: string, extra: string[] | undefined): string[] {
  const out = ['content-type', 'application/problem+json', 'content-length', String(Buffer.byteLength(body)), 'cache-control', 'no-store'];
  if (extra) for (const value of extra) out.push(value);
  return out;
}
