import { request } from 'node:http';

/** A whole answer: its status, content type and body as text. */
export interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/**
 * One HTTP request from the launcher to a service on this machine (readiness probes, the dashboard's look at a
 * service), its whole answer as text; rejects on a network error, or once `timeoutMs` have passed.
 *
 * Node's `fetch` would do, but its first use loads and compiles undici's HTTP parser: ~17 MB of RSS and ~0.1 s of CPU
 * in a process that only ever asks its own services a few small questions (docs/performance.md, "December 7, sixth
 * session"). `node:http` is loaded anyway.
 */
export function httpCall(url: string, opts: { timeoutMs: number; method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const headers = { ...opts.headers, ...(opts.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(opts.body)) }) };
    const req = request(url, { method: opts.method ?? 'GET', headers, signal: AbortSignal.timeout(opts.timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
