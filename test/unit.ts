/**
 * `npm run test:unit`: every unit and integration test file, in a few shards
 * side by side. Each shard is one `node --test --test-isolation=none
 * --test-shard=k/N` process, so the files of a shard share one process instead
 * of each paying for a Node start and a fresh load of fastify, OpenTelemetry,
 * Kysely and the rest: the suite costs about a third of the CPU it did with a
 * process per file (docs/testing.md, "How the suite is run").
 *
 * Sharing a process means a test file must not leave global state behind
 * (a telemetry provider, an environment variable, a patched global) — the
 * rule is in docs/testing.md. Shards print whole lines, each prefixed with its
 * number; the exit code is non-zero when any shard failed.
 *
 *   npm run test:unit                          all files, UNIT_SHARDS (default 3) shards
 *   npm run test:unit -- services/cart         only the files under these paths
 */
import { spawn } from 'node:child_process';
import { globSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { formatSlowest, type Timing } from './reporters/slowest-format.ts';

const PATTERNS = ['test/repo/*.test.ts', 'packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts'];
const TIMINGS = '.test-timings';

const shards = Number(process.env['UNIT_SHARDS'] ?? 3);
if (!Number.isInteger(shards) || shards < 1 || shards > 16) {
  console.error(`UNIT_SHARDS must be a whole number from 1 to 16, got "${process.env['UNIT_SHARDS']}"`);
  process.exit(2);
}
const only = process.argv.slice(2);
const files = globSync(PATTERNS)
  .filter((f) => only.length === 0 || only.some((p) => f.startsWith(p.replace(/^\.\//, ''))))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${only.join(' ')}`);
  process.exit(2);
}

// Files go to shards in turn, longest first by the last run's records, so that no shard is left with all the slow ones.
const lastRun = new Map<string, number>();
for (const r of readRecords()) if (r.kind === 'file') lastRun.set(r.file, r.ms);
const ordered = [...files].sort((a, b) => (lastRun.get(b) ?? 0) - (lastRun.get(a) ?? 0));
const assigned: string[][] = Array.from({ length: Math.min(shards, files.length) }, () => []);
const load = assigned.map(() => 0);
for (const file of ordered) {
  const lightest = load.indexOf(Math.min(...load));
  (assigned[lightest] as string[]).push(file);
  load[lightest] = (load[lightest] as number) + (lastRun.get(file) ?? 1000);
}

mkdirSync(TIMINGS, { recursive: true });
for (const f of globSync(`${TIMINGS}/test_unit*`)) rmSync(f);
console.log(`${files.length} test files in ${assigned.length} shard${assigned.length === 1 ? '' : 's'} (one process each)`);

const results = await Promise.all(assigned.map((group, i) => runShard(i + 1, group)));
const records = readRecords();
console.log(formatSlowest(records, 15));
const failedShards = results.flatMap((code, i) => (code === 0 ? [] : [`shard ${i + 1} (exit ${code})`]));
const tests = records.filter((r) => r.kind === 'test');
console.log(`unit tests: ${tests.filter((r) => r.passed).length} passed, ${tests.filter((r) => !r.passed).length} failed${failedShards.length > 0 ? `; failed: ${failedShards.join(', ')}` : ''}`);
process.exit(failedShards.length > 0 ? 1 : 0);

function runShard(n: number, group: string[]): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '--test',
      '--test-isolation=none',
      '--test-timeout=120000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=./test/reporters/timings.ts',
      `--test-reporter-destination=${TIMINGS}/test_unit-${n}.txt`,
      ...group,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BAZAAR_TIMINGS_NAME: `test_unit-${n}` } },
  );
  const prefix = `[${n}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (lines.length > 0) process.stdout.write(lines.map((l) => prefix + l).join('\n') + '\n');
    });
    stream.on('end', () => partial && process.stdout.write(prefix + partial + '\n'));
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

function readRecords(): Timing[] {
  return globSync(`${TIMINGS}/test_unit*.jsonl`).flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Timing),
  );
}
