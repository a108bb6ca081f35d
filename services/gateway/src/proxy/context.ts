import type { InFlightLimiter } from '../limits/in-flight.ts';
import type { Counter, Histogram } from 'prom-client';
import type { Logger } from '@bazaar/kit';
import type { TokenVerifier } from '../auth/verifier.ts';
import type { RateLimiter } from '../limits/limiter.ts';
import type { Route, RouteTable } from '../routes.ts';
import type { Upstream } from '../upstream/balancer.ts';
import type { AccessLog } from './access-log.ts';
import type { Cors } from './cors.ts';

/** Everything the proxy path needs, built once at start-up. */
export interface ProxyContext {
  routes: RouteTable;
  /** area -> the upstream serving it (several areas may share one). */
  upstreams: Map<string, Upstream>;
  verifier: TokenVerifier;
  limiter: RateLimiter;
  /** Requests one user may have in flight per upstream service. */
  inFlight: InFlightLimiter;
  cors: Cors;
  /** For the gateway's own errors. */
  logger: Logger;
  /** One JSON line per request; undefined turns the access log off. */
  accessLog: AccessLog | undefined;
  metrics: ProxyMetrics;
  /** Deadline budget of a request. */
  timeoutMs: number;
  bodyLimit: number;
  trustProxyHops: number;
  /** True while draining for shutdown: answers close their HTTP/1.1 connection. */
  closing: boolean;
}

/** The kit's per-route request metrics, cached per route/method/status so the hot path does no label hashing. */
export class ProxyMetrics {
  private readonly children = new Map<Route | undefined, Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>>();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(requests: Counter<'method' | 'route' | 'status'>, duration: Histogram<'method' | 'route' | 'status'>) {
    this.requests = requests;
    this.duration = duration;
  }

  observe(route: Route | undefined, method: string, status: number, seconds: number): void {
    let byKey = this.children.get(route);
    if (byKey === undefined) {
      byKey = new Map();
      this.children.set(route, byKey);
    }
    const key = method + status;
    let child = byKey.get(key);
    if (child === undefined) {
      const labels = { method, route: route?.pattern ?? 'unmatched', status: String(status) };
      child = { count: this.requests.labels(labels), duration: this.duration.labels(labels) };
      byKey.set(key, child);
    }
    child.count.inc();
    child.duration.observe(seconds);
  }
}

const PAN = /\d{13,19}/g;

/** A path as it may be logged: anything that looks like a card number is masked (queries are never logged). */
export function redactPath(path: string): string {
  return path.length >= 13 && /\d{13}/.test(path) ? path.replace(PAN, '[redacted]') : path;
}
