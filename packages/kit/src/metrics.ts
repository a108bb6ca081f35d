import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How often the event-loop lag metrics sample the loop, ms. */
export const EVENT_LOOP_SAMPLE_MS = 100;

/** HTTP metrics of one app, in a registry of its own so several apps can share a process (tests). */
export interface HttpMetrics {
  registry: Registry;
  observe(labels: { method: string; route: string; status: number }, seconds: number): void;
}

/** Create the registry with request counters and latency histograms by route and status. */
export function createHttpMetrics(opts: { service: string; defaultMetrics: boolean }): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  // The event-loop lag histogram samples every 100 ms, not prom-client's default 10 ms: a timer waking the process
  // a hundred times a second cost an idle service about 4 ms of CPU per second, a third of what the idle system
  // used (docs/performance.md). A block of the loop long enough to matter still shows in a 100 ms sampling.
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Each label set's counter and histogram children, kept: prom-client otherwise hashes the labels on every call.
  const children = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  return {
    registry,
    observe({ method, route, status }, seconds) {
      const key = `${method} ${status} ${route}`;
      let child = children.get(key);
      if (child === undefined) {
        const labels = { method, route, status: String(status) };
        child = { count: requests.labels(labels), time: duration.labels(labels) };
        children.set(key, child);
      }
      child.count.inc();
      child.time.observe(seconds);
    },
  };
}
