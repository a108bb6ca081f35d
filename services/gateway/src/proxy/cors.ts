/** Request headers a browser may send cross-origin. */
const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, x-request-id, traceparent';
/** Response headers a browser script may read. */
const EXPOSED_HEADERS = 'location, retry-after, x-request-id, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy';
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

/**
 * CORS for the configured origins. Credentials (cookies) are never allowed:
 * the API authenticates with bearer tokens, which browsers do not attach on
 * their own, so cross-site request forgery has nothing to ride on.
 */
export class Cors {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(config: string) {
    this.any = config.trim() === '*';
    this.origins = new Set(
      config
        .split(',')
        .map((o) => o.trim().toLowerCase())
        .filter((o) => o !== '' && o !== '*'),
    );
  }

  /** Whether cross-origin calls are configured at all. */
  get enabled(): boolean {
    return this.any || this.origins.size > 0;
  }

  allowed(origin: string): boolean {
    return this.any || this.origins.has(origin.toLowerCase());
  }

  /** Headers for an actual request from `origin` (none when not allowed), appended to `out`. */
  appendActual(out: string[], origin: string | undefined): void {
    if (origin === undefined || !this.enabled) return;
    if (!this.allowed(origin)) return;
    out.push('access-control-allow-origin', this.any ? '*' : origin, 'access-control-expose-headers', EXPOSED_HEADERS);
    if (!this.any) out.push('vary', 'origin');
  }

  /** Headers answering a preflight from an allowed origin. */
  preflight(origin: string): string[] {
    return [
      'access-control-allow-origin',
      this.any ? '*' : origin,
      'access-control-allow-methods',
      METHODS,
      'access-control-allow-headers',
      ALLOWED_HEADERS,
      'access-control-max-age',
      '600',
      'vary',
      'origin, access-control-request-method, access-control-request-headers',
    ];
  }
}
