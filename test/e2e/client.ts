/**
 * A small HTTP client for end-to-end tests against the running system. Every
 * answer it receives is also kept in `recorded`, so a file can check them all
 * against the OpenAPI documents the system publishes (test/e2e/contract.ts).
 */
import assert from 'node:assert/strict';
import type { Exchange } from '@bazaar/contract-check';
import { until } from '../../tools/launcher/src/harness.ts';

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

/**
 * Ask again while the answer is 503 or 504, as any client would: password hashing on a busy machine can outlast
 * the edge's timeout. Gives the first other answer, or fails saying what was awaited.
 */
async function answered(what: string, call: () => Promise<Reply>): Promise<Reply> {
  return until(what, 120_000, async () => {
    const res = await call();
    return res.status === 503 || res.status === 504 ? undefined : res;
  });
}

/** Log in through the gateway at `baseUrl`; fails with identity's answer unless it is 200. Gives the access token. */
export async function logIn(baseUrl: string, email: string, password: string): Promise<string> {
  const login = await answered(`${email} to log in`, () => http(`${baseUrl}/api/identity/login`, { method: 'POST', body: { email, password } }));
  assert.equal(login.status, 200, `logging in ${email}: ${JSON.stringify(login.body)}`);
  return login.body.accessToken as string;
}

/**
 * Register a customer and log in. Registering an email twice answers 202 too, so asking again after a 504 whose
 * registration did go through cannot fail. Gives the access token.
 */
export async function signUp(baseUrl: string, user: { email: string; password: string; name: string }): Promise<string> {
  const registered = await answered(`${user.email} to register`, () => http(`${baseUrl}/api/identity/register`, { method: 'POST', body: user }));
  assert.equal(registered.status, 202, `registering ${user.email}: ${JSON.stringify(registered.body)}`);
  return logIn(baseUrl, user.email, user.password);
}
