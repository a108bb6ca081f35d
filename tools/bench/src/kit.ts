/**
 * Issue 14's measure of the service kit's own cost: a catalog product read
 * and the kit's `/healthz`, each as a share of the yardstick. One pass of
 * each (the table above it in `npm run bench`) sets a load taken while the
 * catalog's code was still cold against a yardstick taken minutes earlier,
 * on a machine whose yardstick moves by a third within a run. Here every
 * target is warmed first, then the three are loaded in turn, round after
 * round, so that each read has a yardstick of its own minute beside it:
 * the ratio of a round is its read over its yardstick, and the figure is
 * the median of the rounds' ratios.
 */
import { measureYardstick } from './yardstick.ts';
import { loadTool, runLoad } from './load.ts';
import { schedCpuMs } from './proc.ts';
import { median } from './checkout.ts';

export interface KitRound {
  yardstick: number;
  read: number;
  healthz: number;
  /** Catalog CPU µs per product read in this round (every thread, the scheduler's count); undefined without /proc. */
  readCpuUs: number | undefined;
}

export interface KitOverhead {
  rounds: KitRound[];
  /** Median over the rounds of read ÷ that round's yardstick. */
  readShare: number;
  /** Median over the rounds of /healthz ÷ that round's yardstick. */
  healthzShare: number;
  readCpuUs: number | undefined;
}

/** The figures of some rounds: each share is the median of the rounds' own ratios, never a ratio of medians. */
export function kitOverhead(rounds: readonly KitRound[]): KitOverhead {
  if (rounds.length === 0) throw new Error('kitOverhead needs at least one round');
  const cpus = rounds.map((r) => r.readCpuUs).filter((c): c is number => c !== undefined);
  return {
    rounds: [...rounds],
    readShare: median(rounds.map((r) => r.read / r.yardstick)),
    healthzShare: median(rounds.map((r) => r.healthz / r.yardstick)),
    readCpuUs: cpus.length > 0 ? median(cpus) : undefined,
  };
}

/** Load the yardstick, a product read and `/healthz` in turn, `rounds` times, after warming the two catalog targets. */
export async function benchKitOverhead(opts: {
  readUrl: string;
  healthzUrl: string;
  catalogPid: number | undefined;
  connections: number;
  durationS: number;
  rounds: number;
  warmupS?: number;
  progress?: (line: string) => void;
}): Promise<KitOverhead> {
  const tool = loadTool();
  const load = { connections: opts.connections, durationS: opts.durationS };
  for (const url of [opts.readUrl, opts.healthzUrl]) await runLoad(tool, url, { ...load, durationS: opts.warmupS ?? 2 });
  const rounds: KitRound[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    opts.progress?.(`  kit's overhead, round ${i + 1} of ${opts.rounds}: yardstick, product read, /healthz…\n`);
    const yardstick = await measureYardstick({ ...load, tool });
    const before = opts.catalogPid === undefined ? undefined : schedCpuMs(opts.catalogPid);
    const read = await runLoad(tool, opts.readUrl, load);
    const after = opts.catalogPid === undefined ? undefined : schedCpuMs(opts.catalogPid);
    const healthz = await runLoad(tool, opts.healthzUrl, load);
    const readCpuUs = before !== undefined && after !== undefined && read.requests > 0 ? ((after - before) * 1000) / read.requests : undefined;
    rounds.push({ yardstick: yardstick.rps, read: read.rps, healthz: healthz.rps, readCpuUs });
  }
  return kitOverhead(rounds);
}
