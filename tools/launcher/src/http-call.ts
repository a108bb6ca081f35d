import { HttpPool } from '@bazaar/kit/http-pool';

/** A whole answer: its status, content type and body as text. */
export interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** One keep-alive pool per service origin the launcher asks (its services' addresses: a bounded set). */
const pools = new Map<string, HttpPool>();

/**
 * One HTTP request from the launcher to a service on this machine (readiness probes, the dashboard's look at a
 * service), its whole answer as text; rejects on a network error, or once `timeoutMs` have passed.
 *
 * Through the kit's `HttpPool` (`node:http`), not Node's `fetch`: its first use loads and compiles undici's HTTP
 * parser, ~17 MB of RSS and ~0.1 s of CPU in a process that only asks its own services a few small questions
 * (docs/performance.md, "December 7, sixth session").
 */
export async function httpCall(url: string, opts: { timeoutMs: number; method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  const target = new URL(url);
  let pool = pools.get(target.origin);
  if (pool === undefined) {
    pool = new HttpPool(target.origin, { connections: 4 });
    pools.set(target.origin, pool);
  }
  const res = await pool.request({
    method: opts.method ?? 'GET',
    path: target.pathname + target.search,
    ...(opts.headers === undefined ? {} : { headers: opts.headers }),
    ...(opts.body === undefined ? {} : { body: opts.body }),
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  const contentType = res.headers['content-type'];
  return { status: res.statusCode, contentType, text: res.text };
}
