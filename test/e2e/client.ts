/**
 * A small HTTP client for end-to-end tests against the running system. Every
 * answer it receives is also kept in `recorded`, so a file can check them all
 * against the OpenAPI documents the system publishes (test/e2e/contract.ts).
 */
import type { Exchange } from '@bazaar/contract-check';

/** Every answer received through `http()` in this process, in order (bounded). */
export const recorded: Exchange[] = [];
const MAX_RECORDED = 20_000;

export interface Reply<T = Record<string, unknown>> {
  status: number;
  type: string;
  body: T;
  ms: number;
  /** The answer's ETag header (a cart's version), when it has one. */
  etag: string | undefined;
  headers: Headers;
}

export async function http<T = Record<string, unknown>>(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const t0 = Date.now();
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.rawBody !== undefined ? { body: init.rawBody } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = {};
  let json: unknown;
  if (text) {
    try {
      body = JSON.parse(text);
      json = body;
    } catch {
      body = { text };
    }
  }
  if (recorded.length < MAX_RECORDED) recorded.push({ method: init.method ?? 'GET', url, status: res.status, contentType: res.headers.get('content-type') ?? '', body: json });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: body as T, ms: Date.now() - t0, etag: res.headers.get('etag') ?? undefined, headers: res.headers };
}
