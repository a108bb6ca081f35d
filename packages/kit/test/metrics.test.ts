import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpMetrics } from '../src/metrics.ts';

test("a service's /metrics keep the runtime's metrics, event-loop lag included, beside its request counters", async () => {
  const metrics = createHttpMetrics({ service: 'kit-test', defaultMetrics: true });
  metrics.observe({ method: 'GET', route: '/things/:id', status: 200 }, 0.004);
  // The lag histogram needs a few samples (one per 100 ms) before it has percentiles.
  await new Promise((r) => setTimeout(r, 350));
  const text = await metrics.registry.metrics();
  for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_mean_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_seconds_total']) {
    assert.match(text, new RegExp(`^${name}\\{service="kit-test"\\} `, 'm'), `${name} is exported`);
  }
  assert.match(text, /^http_requests_total\{method="GET",route="\/things\/:id",status="200",service="kit-test"\} 1$/m);
  const lag = Number(/^nodejs_eventloop_lag_mean_seconds\{service="kit-test"\} (\S+)$/m.exec(text)?.[1]);
  assert.ok(Number.isFinite(lag) && lag > 0, `the loop was sampled (mean lag ${lag} s)`);
  metrics.registry.clear();
});
