/**
 * What tracing costs: the same concurrent checkout load against the system
 * started with OpenTelemetry off (OTEL_SDK_DISABLED=true) and on (the
 * default: every span sampled and exported to the launcher, which stores it).
 *
 * Both systems run side by side (their own ports and data) and take turns:
 * a burst of checkouts against one, then against the other, `bursts` times,
 * the order swapped every pair. A shared machine's speed drifts by a quarter
 * and more within minutes (the yardstick measured between bursts shows it);
 * one long run per mode, minutes apart, lands that drift on one mode, and
 * the difference measured was as often the machine's as tracing's
 * (docs/observability.md, "Overhead"). Bursts seconds apart see the
 * same machine. While one system takes its burst the other idles (about 15 %
 * of a core: timers, probes, long polls), the same for both.
 *
 * What is compared is a running shop, not one starting up: each system has
 * settled (its seed's events consumed and their spans stored) and taken
 * `warmup` checkouts (connection pools, caches, V8 compiling the hot paths,
 * with tracing on the SDK's too) before the first burst. Each burst's CPU
 * is read once the system is quiet again, so its events' consumers and the
 * span export they cause are counted with it.
 */
import { join } from 'node:path';
import { startSystem, type RunningSystem, type StartOptions } from '../../launcher/src/harness.ts';
import { benchCheckout, median, quantile, shoppers as signUp } from './checkout.ts';
import { machineLoad, measureYardstick } from './yardstick.ts';
import { cpuDelta, cpuSnapshot, settle } from './proc.ts';

export type TracingMode = 'off' | 'on';

export interface TracingBurst {
  mode: TracingMode;
  /** Which pair of bursts (1…). */
  pair: number;
  checkouts: number;
  perSecond: number;
  /** Each checkout's request time, ms (for the pooled percentiles). */
  times: number[];
  /** CPU ms of each process for this burst: the services by name, and `launcher` (receiving, decoding, storing spans; log indexing). */
  byProcess: Record<string, number>;
}

export interface TracingFigures {
  bursts: TracingBurst[];
  /** Yardstick req/s before the first burst and after the last. */
  yardstick: { before: number; after: number };
  load: string;
}

type Procs = { name: string; pid: number | undefined }[];

async function processesOf(system: RunningSystem): Promise<Procs> {
  return [...(await system.services()), { name: 'launcher', pid: system.launcher.pid }];
}

async function burst(system: RunningSystem, procs: Procs, shoppers: number, perShopper: number): Promise<Omit<TracingBurst, 'mode' | 'pair'>> {
  // Signed up before the window: a sign-up's password hashing is not a checkout's cost.
  const tokens = await signUp(system.gatewayUrl, shoppers);
  const before = cpuSnapshot(procs);
  const t0 = performance.now();
  const runs = await Promise.all(tokens.map((token) => benchCheckout(system.gatewayUrl, perShopper, { keepTimes: true, tokens: [token] })));
  const seconds = (performance.now() - t0) / 1000;
  // The consumers of the burst's events and the span export (every half second) finish its work.
  await new Promise((r) => setTimeout(r, 1000));
  await settle(procs, { maxMs: 10_000, windowMs: 500 });
  const used = cpuDelta(before, cpuSnapshot(procs));
  const confirmed = runs.reduce((n, r) => n + r.confirmed, 0);
  return {
    checkouts: confirmed,
    perSecond: confirmed / seconds,
    times: runs.flatMap((r) => r.times ?? []),
    byProcess: Object.fromEntries(used),
  };
}

/** Start a system with tracing off and one with it on, then run `bursts` pairs of checkout bursts, alternating between them. */
export async function benchTracing(opts: { start: StartOptions; shoppers: number; perShopper: number; warmup: number; bursts: number; yardstick: { connections: number; durationS: number } }): Promise<TracingFigures> {
  const systems = new Map<TracingMode, { system: RunningSystem; procs: Procs }>();
  try {
    for (const [i, mode] of (['off', 'on'] as const).entries()) {
      const env = { ...opts.start.env, ...(mode === 'off' ? { OTEL_SDK_DISABLED: 'true' } : {}) };
      const start = { ...opts.start, env, portBase: opts.start.portBase + 200 * (i + 1), dataDir: join(opts.start.dataDir, `tracing-${mode}`), logDir: join(opts.start.logDir, `tracing-${mode}`) };
      const system = await startSystem(start);
      systems.set(mode, { system, procs: await processesOf(system) });
    }
    for (const [mode, { system, procs }] of systems) {
      const settled = await settle(procs);
      process.stdout.write(`  tracing ${mode}: started, ${settled.settled ? 'settled' : 'still busy'} after ${(settled.waitedMs / 1000).toFixed(0)} s; ${opts.warmup} warm-up checkouts…\n`);
      await benchCheckout(system.gatewayUrl, opts.warmup, { inFlight: opts.shoppers });
      await settle(procs, { maxMs: 15_000 });
    }
    const before = await measureYardstick(opts.yardstick);
    process.stdout.write(`  ${opts.bursts} pairs of bursts, ${opts.shoppers} shoppers × ${opts.perShopper} checkouts each; yardstick ${before.rps.toFixed(0)} req/s (${before.tool}; ${machineLoad()})…\n`);
    const bursts: TracingBurst[] = [];
    for (let pair = 1; pair <= opts.bursts; pair++) {
      const order: TracingMode[] = pair % 2 === 1 ? ['off', 'on'] : ['on', 'off'];
      for (const mode of order) {
        const { system, procs } = systems.get(mode) as { system: RunningSystem; procs: Procs };
        bursts.push({ mode, pair, ...(await burst(system, procs, opts.shoppers, opts.perShopper)) });
      }
    }
    const after = await measureYardstick(opts.yardstick);
    return { bursts, yardstick: { before: before.rps, after: after.rps }, load: machineLoad() };
  } finally {
    for (const { system } of systems.values()) await system.stop();
  }
}

export interface ModeFigures {
  checkouts: number;
  /** Confirmed checkouts over the time spent in this mode's bursts. */
  perSecond: number;
  p50: number;
  p99: number;
  cpuMsPerCheckout: number;
  launcherCpuMsPerCheckout: number;
  /** CPU ms per confirmed checkout of each process. */
  byProcess: Record<string, number>;
}

/** One mode's bursts pooled: throughput over all of them, percentiles over every checkout, CPU over every confirmed checkout. */
export function pooled(bursts: TracingBurst[], mode: TracingMode): ModeFigures {
  const mine = bursts.filter((b) => b.mode === mode);
  const checkouts = mine.reduce((n, b) => n + b.checkouts, 0);
  const seconds = mine.reduce((s, b) => s + b.checkouts / Math.max(1e-9, b.perSecond), 0);
  const times = mine.flatMap((b) => b.times).sort((a, b) => a - b);
  const per = (ms: number) => ms / Math.max(1, checkouts);
  const byProcess = Object.fromEntries([...new Set(mine.flatMap((b) => Object.keys(b.byProcess)))].map((name) => [name, per(mine.reduce((s, b) => s + (b.byProcess[name] ?? 0), 0))]));
  return {
    checkouts,
    perSecond: checkouts / Math.max(1e-9, seconds),
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    cpuMsPerCheckout: Object.values(byProcess).reduce((a, b) => a + b, 0),
    launcherCpuMsPerCheckout: byProcess.launcher ?? 0,
    byProcess,
  };
}

/** The median over the pairs of on's figure ÷ off's (each pair's two bursts ran seconds apart, on the same machine). */
function medianOfPairs(bursts: TracingBurst[], figure: (f: ModeFigures) => number): number {
  const ratios = [...new Set(bursts.map((b) => b.pair))]
    .map((pair) => {
      const [off, on] = (['off', 'on'] as const).map((mode) => figure(pooled(bursts.filter((b) => b.pair === pair), mode)));
      return (on ?? 0) / Math.max(1e-9, off ?? 0);
    });
  return ratios.length === 0 ? 1 : median(ratios);
}

/**
 * The cost of tracing, in % (positive: on is worse): from all bursts pooled,
 * and as the median of the pairs' ratios, which one pair caught by a slow
 * spell of the machine cannot move (a p99 of 600 checkouts is their sixth
 * slowest: one such spell decides it).
 */
export function tracingCost(bursts: TracingBurst[]): { throughput: number; throughputMedianOfPairs: number; p99: number; p99MedianOfPairs: number; cpu: number; servicesCpu: number } {
  const [off, on] = [pooled(bursts, 'off'), pooled(bursts, 'on')];
  return {
    throughput: 100 * (1 - on.perSecond / off.perSecond),
    throughputMedianOfPairs: 100 * (1 - medianOfPairs(bursts, (f) => f.perSecond)),
    p99: 100 * (on.p99 / off.p99 - 1),
    p99MedianOfPairs: 100 * (medianOfPairs(bursts, (f) => f.p99) - 1),
    cpu: 100 * (on.cpuMsPerCheckout / off.cpuMsPerCheckout - 1),
    servicesCpu: 100 * ((on.cpuMsPerCheckout - on.launcherCpuMsPerCheckout) / (off.cpuMsPerCheckout - off.launcherCpuMsPerCheckout) - 1),
  };
}
