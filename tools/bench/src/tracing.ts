/**
 * What tracing costs: the same concurrent checkout load against the system
 * started with OpenTelemetry off (OTEL_SDK_DISABLED=true) and on (the
 * default: every span sampled and exported to the launcher, which stores it).
 * Each shopper checks out one order after another; the figures are checkout
 * throughput and the checkout request's p99.
 */
import { startSystem, type RunningSystem, type StartOptions } from '../../launcher/src/harness.ts';
import { benchCheckout } from './checkout.ts';

export interface TracingFigures {
  mode: 'off' | 'on';
  checkouts: number;
  perSecond: number;
  p99: number;
}

async function measure(system: RunningSystem, mode: 'off' | 'on', shoppers: number, perShopper: number): Promise<TracingFigures> {
  // One warm-up checkout per shopper is not counted: connection pools, JIT, first-use caches.
  await Promise.all(Array.from({ length: shoppers }, () => benchCheckout(system.gatewayUrl, 1)));
  const t0 = performance.now();
  const runs = await Promise.all(Array.from({ length: shoppers }, () => benchCheckout(system.gatewayUrl, perShopper, { keepTimes: true })));
  const seconds = (performance.now() - t0) / 1000;
  const times = runs.flatMap((r) => r.times ?? []).sort((a, b) => a - b);
  const confirmed = runs.reduce((n, r) => n + r.confirmed, 0);
  return { mode, checkouts: confirmed, perSecond: confirmed / seconds, p99: times[Math.min(times.length - 1, Math.floor(0.99 * times.length))] ?? 0 };
}

/** Start the system with tracing off, then on, and run the same checkout load against each. */
export async function benchTracing(opts: { start: StartOptions; shoppers: number; perShopper: number }): Promise<TracingFigures[]> {
  const out: TracingFigures[] = [];
  for (const mode of ['off', 'on'] as const) {
    process.stdout.write(`  tracing ${mode}: ${opts.shoppers} shoppers × ${opts.perShopper} checkouts…\n`);
    const env = { ...opts.start.env, ...(mode === 'off' ? { OTEL_SDK_DISABLED: 'true' } : {}) };
    const system = await startSystem({ ...opts.start, env });
    try {
      out.push(await measure(system, mode, opts.shoppers, opts.perShopper));
    } finally {
      await system.stop();
    }
  }
  return out;
}
