/**
 * What tracing costs: the same concurrent checkout load against the system
 * started with OpenTelemetry off (OTEL_SDK_DISABLED=true) and on (the
 * default: every span sampled and exported to the launcher, which stores it).
 * Each shopper checks out one order after another; the figures are checkout
 * throughput and the checkout request's p99, each beside the yardstick
 * measured just before it (a shared machine's speed drifts between runs), and
 * the modes alternate over `rounds` so a drift does not land on one mode only.
 */
import { startSystem, type RunningSystem, type StartOptions } from '../../launcher/src/harness.ts';
import { benchCheckout } from './checkout.ts';
import { machineLoad, measureYardstick } from './yardstick.ts';
import { cpuDelta, cpuSnapshot } from './proc.ts';

export interface TracingFigures {
  mode: 'off' | 'on';
  round: number;
  checkouts: number;
  perSecond: number;
  p99: number;
  /** CPU ms per confirmed checkout, every service and the launcher (which stores the spans) together: contention on a busy machine stretches it far less than wall time. */
  cpuMsPerCheckout: number;
  /** Of which the launcher's (the embedded collector: receiving, decoding and storing spans; log indexing). */
  launcherCpuMsPerCheckout: number;
  /** The yardstick's req/s measured just before this run. */
  yardstick: number;
  /** The machine's load when the run ended. */
  load: string;
}

async function measure(system: RunningSystem, shoppers: number, perShopper: number): Promise<Pick<TracingFigures, 'checkouts' | 'perSecond' | 'p99' | 'cpuMsPerCheckout' | 'launcherCpuMsPerCheckout'>> {
  // One warm-up checkout per shopper is not counted: connection pools, JIT, first-use caches.
  await Promise.all(Array.from({ length: shoppers }, () => benchCheckout(system.gatewayUrl, 1)));
  const procs = [...(await system.services()), { name: 'launcher', pid: system.launcher.pid }];
  const before = cpuSnapshot(procs);
  const t0 = performance.now();
  const runs = await Promise.all(Array.from({ length: shoppers }, () => benchCheckout(system.gatewayUrl, perShopper, { keepTimes: true })));
  const seconds = (performance.now() - t0) / 1000;
  // The events' consumers and the span export (every second) finish the checkouts' work: give them a moment.
  await new Promise((r) => setTimeout(r, 2000));
  const used = cpuDelta(before, cpuSnapshot(procs));
  const cpu = [...used.values()].reduce((a, b) => a + b, 0);
  const times = runs.flatMap((r) => r.times ?? []).sort((a, b) => a - b);
  const confirmed = runs.reduce((n, r) => n + r.confirmed, 0);
  return { checkouts: confirmed, perSecond: confirmed / seconds, p99: times[Math.min(times.length - 1, Math.floor(0.99 * times.length))] ?? 0, cpuMsPerCheckout: cpu / Math.max(1, confirmed), launcherCpuMsPerCheckout: (used.get('launcher') ?? 0) / Math.max(1, confirmed) };
}

/** Start the system with tracing off, then on (`rounds` times, alternating), and run the same checkout load against each. */
export async function benchTracing(opts: { start: StartOptions; shoppers: number; perShopper: number; rounds?: number; yardstick: { connections: number; durationS: number } }): Promise<TracingFigures[]> {
  const out: TracingFigures[] = [];
  for (let round = 1; round <= (opts.rounds ?? 1); round++) {
    for (const mode of ['off', 'on'] as const) {
      const yard = await measureYardstick(opts.yardstick);
      process.stdout.write(`  tracing ${mode} (round ${round}): ${opts.shoppers} shoppers × ${opts.perShopper} checkouts; yardstick ${yard.rps.toFixed(0)} req/s (${machineLoad()})…\n`);
      const env = { ...opts.start.env, ...(mode === 'off' ? { OTEL_SDK_DISABLED: 'true' } : {}) };
      const system = await startSystem({ ...opts.start, env });
      try {
        out.push({ mode, round, ...(await measure(system, opts.shoppers, opts.perShopper)), yardstick: yard.rps, load: machineLoad() });
      } finally {
        await system.stop();
      }
    }
  }
  return out;
}

/** The cost of tracing over every round: throughput (raw and per yardstick) and p99, in % (positive: on is worse). */
export function tracingCost(figures: TracingFigures[]): { throughput: number; throughputPerYardstick: number; p99: number; cpu: number; servicesCpu: number } {
  const of = (mode: 'off' | 'on') => figures.filter((f) => f.mode === mode);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const [off, on] = [of('off'), of('on')];
  const rate = (fs: TracingFigures[]) => mean(fs.map((f) => f.perSecond));
  const relative = (fs: TracingFigures[]) => mean(fs.map((f) => f.perSecond / f.yardstick));
  const p99 = (fs: TracingFigures[]) => mean(fs.map((f) => f.p99));
  return {
    throughput: 100 * (1 - rate(on) / rate(off)),
    throughputPerYardstick: 100 * (1 - relative(on) / relative(off)),
    p99: 100 * (p99(on) / p99(off) - 1),
    cpu: 100 * (mean(on.map((f) => f.cpuMsPerCheckout)) / mean(off.map((f) => f.cpuMsPerCheckout)) - 1),
    servicesCpu: 100 * (mean(on.map((f) => f.cpuMsPerCheckout - f.launcherCpuMsPerCheckout)) / mean(off.map((f) => f.cpuMsPerCheckout - f.launcherCpuMsPerCheckout)) - 1),
  };
}
