/**
 * `npm run test:unit`: every unit and integration test file, in a few shards
 * side by side. Each shard is one `node --test --test-isolation=none` process
 * running its share of the files, so the files of a shard share one process
 * instead of each paying for a Node start and a fresh load of fastify,
 * OpenTelemetry, Kysely and the rest: the suite costs well under half the CPU
 * it did with a process per file (docs/testing.md, "Parallelism").
 *
 * Sharing a process means a test file must not leave global state behind
 * (a telemetry provider, an environment variable, a patched global) — the
 * rule is in docs/testing.md. The exit code is non-zero when any shard failed.
 *
 *   npm run test:unit                          all files, UNIT_SHARDS (default 3) shards
 *   npm run test:unit -- services/cart         only the files under these paths
 */
import { formatSlowest } from './reporters/slowest-format.ts';
import { TIMINGS, clearRecords, countFromEnv, lastFileTimes, readRecords, reporterArgs, runNodeTest, summary, testFiles } from './runner.ts';

const PATTERNS = ['test/repo/*.test.ts', 'packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts'];
const RECORDS = 'test_unit';

const shards = countFromEnv('UNIT_SHARDS', 3, 16);
const files = testFiles(PATTERNS, process.argv.slice(2));

// Files go to the least loaded shard, longest first by the last run's records (a file not in them counts as 1 s).
const lastRun = lastFileTimes(RECORDS);
const assigned: string[][] = Array.from({ length: Math.min(shards, files.length) }, () => []);
const load = assigned.map(() => 0);
for (const file of [...files].sort((a, b) => (lastRun.get(b) ?? 0) - (lastRun.get(a) ?? 0))) {
  const lightest = load.indexOf(Math.min(...load));
  (assigned[lightest] as string[]).push(file);
  load[lightest] = (load[lightest] as number) + (lastRun.get(file) ?? 1000);
}
clearRecords(RECORDS);
console.log(`${files.length} test files in ${assigned.length} shard${assigned.length === 1 ? '' : 's'} (one process each)`);

const codes = await Promise.all(
  assigned.map((group, i) =>
    runNodeTest(String(i + 1), ['--test-isolation=none', '--test-timeout=120000', ...reporterArgs(`${TIMINGS}/${RECORDS}-${i + 1}.txt`), ...group], `${RECORDS}-${i + 1}`),
  ),
);
const records = readRecords(RECORDS);
const failed = codes.flatMap((code, i) => (code === 0 ? [] : [`shard ${i + 1} (exit ${code})`]));
console.log(formatSlowest(records, 15));
console.log(summary('unit tests', records, failed));
process.exit(failed.length > 0 ? 1 : 0);
