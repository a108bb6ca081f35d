/**
 * `npm run bench:ab -- <commit> <commit> …`: the checkout figures of several
 * commits, measured against each other in one run (docs/performance.md,
 * "Issue 11's checkout contract against the happy path"). Each commit is
 * cloned from this repository into a temporary folder and installed once;
 * then, for every round, each commit in turn (rotated each round, so none is
 * always first): a yardstick, a fresh system of that commit, warm-up
 * checkouts, checkouts at one in flight and at four, through the gateway.
 * Prints a row per commit and round, then the means and the pooled p99s,
 * and the CPU per confirmed checkout at four in flight (every process of the
 * system, from /proc, counted from after the shoppers' sign-up until the
 * processes settle after the last answer, so that the read models' share is
 * in: checkoutsWithCpu), with the largest shares named.
 *
 *   AB_ROUNDS (default 4), AB_CHECKOUTS (default 200 at one in flight; twice that at four), AB_WARMUP (default 20)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningSystem, StartOptions } from '../../launcher/src/harness.ts';
import { BENCH_RATE_LIMITS, benchCheckout, checkoutsWithCpu, quantile, type CheckoutFigures } from './checkout.ts';
import { formatTable } from '../../launcher/src/table.ts';
import { machineLoad, measureYardstick } from './yardstick.ts';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const count = (name: string, fallback: number) => {
  const n = Number(process.env[name] || fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${process.env[name]}"`);
  return n;
};
const rounds = count('AB_ROUNDS', 4);
const checkouts = count('AB_CHECKOUTS', 200);
const warmup = count('AB_WARMUP', 20);
const commits = process.argv.slice(2);
if (commits.length < 2) {
  console.error('usage: npm run bench:ab -- <commit> <commit> [<commit> …]   (e.g. fa0c8bc HEAD)');
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'bazaar-ab-'));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

interface Row {
  commit: string;
  round: number;
  yardstick: number;
  one: CheckoutFigures;
  four: CheckoutFigures;
  /** CPU ms per confirmed checkout at four in flight, by process. */
  cpu: Map<string, number>;
}

try {
  const dirs = new Map<string, string>();
  for (const commit of commits) {
    const dir = join(work, commit.replace(/[^A-Za-z0-9._-]/g, '_'));
    process.stdout.write(`  ${commit}: cloning and installing into ${dir}…\n`);
    execFileSync('git', ['clone', '--quiet', '--no-checkout', root, dir], { stdio: 'inherit' });
    execFileSync('git', ['-C', dir, 'checkout', '--quiet', execFileSync('git', ['-C', root, 'rev-parse', commit], { encoding: 'utf8' }).trim()], { stdio: 'inherit' });
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent'], { cwd: dir, stdio: 'inherit' });
    if (!existsSync(join(dir, 'tools/launcher/src/harness.ts'))) throw new Error(`${commit} has no tools/launcher/src/harness.ts: too old to start this way`);
    dirs.set(commit, dir);
  }
  const rows: Row[] = [];
  const times = new Map<string, { one: number[]; four: number[] }>(commits.map((c) => [c, { one: [], four: [] }]));
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < commits.length; i++) {
      const commit = commits[(i + round - 1) % commits.length] as string;
      const yard = await measureYardstick({ connections: 10, durationS: 5 });
      const harness = (await import(join(dirs.get(commit) as string, 'tools/launcher/src/harness.ts'))) as { startSystem(o: StartOptions): Promise<RunningSystem>; portBaseFor(slot: number): number };
      const data = mkdtempSync(join(work, 'system-'));
      process.stdout.write(`  round ${round}, ${commit}: yardstick ${yard.rps.toFixed(0)} req/s (${yard.tool}; ${machineLoad()}); starting its system…\n`);
      const system = await harness.startSystem({
        portBase: harness.portBaseFor(30),
        dataDir: join(data, 'data'),
        logDir: join(data, 'logs'),
        readyTimeoutMs: 240_000,
        env: { LOG_LEVEL: 'warn', RATE_LIMITS: BENCH_RATE_LIMITS },
      });
      try {
        await benchCheckout(system.gatewayUrl, warmup);
        const one = await benchCheckout(system.gatewayUrl, checkouts, { inFlight: 1, keepTimes: true });
        const { figures: four, cpuMs } = await checkoutsWithCpu(system.gatewayUrl, 2 * checkouts, { inFlight: 4, keepTimes: true, processes: await system.services() });
        const cpu = new Map([...cpuMs].map(([name, ms]) => [name, ms / Math.max(1, four.confirmed)] as const));
        rows.push({ commit, round, yardstick: yard.rps, one, four, cpu });
        times.get(commit)?.one.push(...(one.times ?? []));
        times.get(commit)?.four.push(...(four.times ?? []));
      } finally {
        await system.stop();
        rmSync(data, { recursive: true, force: true });
      }
    }
  }
  const cell = (f: CheckoutFigures) => `${f.confirmedPerS.toFixed(2)}/s (${f.confirmed}/${f.checkouts}), p50 ${f.p50.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms`;
  process.stdout.write(`\n${formatTable(['round', 'commit', 'yardstick req/s', '1 in flight', '4 in flight'], rows.map((r) => [String(r.round), r.commit, r.yardstick.toFixed(0), cell(r.one), cell(r.four)]))}\n\n`);
  const summary = commits.map((commit) => {
    const mine = rows.filter((r) => r.commit === commit);
    const pooled = times.get(commit) ?? { one: [], four: [] };
    const side = (pick: (r: Row) => CheckoutFigures, all: number[]) =>
      `${mean(mine.map((r) => pick(r).confirmedPerS)).toFixed(2)}/s, p50 ${mean(mine.map((r) => pick(r).p50)).toFixed(1)} ms, p99 ${quantile([...all].sort((a, b) => a - b), 0.99).toFixed(0)} ms (pooled)`;
    return [commit, mean(mine.map((r) => r.yardstick)).toFixed(0), side((r) => r.one, pooled.one), side((r) => r.four, pooled.four)];
  });
  process.stdout.write(`means over ${rounds} rounds (p99 over every round's checkouts):\n${formatTable(['commit', 'yardstick req/s', '1 in flight', '4 in flight'], summary)}\n`);
  const cpuRows = commits.map((commit) => {
    const mine = rows.filter((r) => r.commit === commit);
    const names = [...new Set(mine.flatMap((r) => [...r.cpu.keys()]))];
    const byName = names.map((name) => [name, mean(mine.map((r) => r.cpu.get(name) ?? 0))] as const).sort((a, b) => b[1] - a[1]);
    const total = byName.reduce((sum, [, ms]) => sum + ms, 0);
    return [commit, total.toFixed(1), byName.slice(0, 6).map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ')];
  });
  process.stdout.write(`\nCPU ms per confirmed checkout at 4 in flight (means over the rounds; every process, from after the sign-up until they settle after the last answer):\n${formatTable(['commit', 'total', 'largest shares'], cpuRows)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
