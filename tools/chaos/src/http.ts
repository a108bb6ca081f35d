/** A small HTTP client with a timeout: the chaos suite's view of the system, as any client's. */
export interface Reply<T> {
  status: number;
  body: T;
  ms: number;
  /** The answer's ETag (a cart's version, which checkout takes as If-Match); '' when none. */
  etag: string;
}

/** Thrown when no answer came within the timeout (status 0 in the figures). */
export class TimeoutError extends Error {}

/** One request; network errors reject, a timeout rejects with TimeoutError, a cancel through `signal` with its AbortError. */
export async function call<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const t0 = Date.now();
  try {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: init.signal ? AbortSignal.any([AbortSignal.timeout(init.timeoutMs ?? 5000), init.signal]) : AbortSignal.timeout(init.timeoutMs ?? 5000),
    });
    const text = await res.text();
    let body: unknown = {};
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { text };
      }
    }
    return { status: res.status, body: body as T, ms: Date.now() - t0, etag: res.headers.get('etag') ?? '' };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw new TimeoutError(`${init.method ?? 'GET'} ${url}: no answer within ${init.timeoutMs ?? 5000} ms`);
    throw error;
  }
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
