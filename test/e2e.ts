/**
 * `npm run test:e2e`: the end-to-end files, each in its own process (each
 * starts a whole system), E2E_CONCURRENCY (default 2) at a time, the longest
 * first. `node --test` alone runs files in name order, which left the longest
 * file (the isolation matrix) starting late and the run waiting on it: on a
 * busy machine, about a minute of the run (docs/testing.md, run 11).
 *
 *   npm run test:e2e                            every file
 *   npm run test:e2e -- test/e2e/shopping.test.ts
 */
import { basename } from 'node:path';
import { formatSlowest } from './reporters/slowest-format.ts';
import { TIMINGS, clearRecords, countFromEnv, lastFileTimes, readRecords, reporterArgs, runNodeTest, summary, testFiles } from './runner.ts';

const RECORDS = 'test_e2e';
/**
 * The order on a clean checkout, which has no records of a last run: longest first, as measured on a busy two-core
 * machine (docs/testing.md, run 11). A file not listed runs after these. When the last runs left records for every
 * file, those decide instead.
 */
const MEASURED_LONGEST_FIRST = ['isolation', 'storefront', 'infra', 'shopping', 'chaos', 'foundation', 'security', 'read-models', 'observability', 'gateway-edge'];

const concurrency = countFromEnv('E2E_CONCURRENCY', 2, 8);
const files = testFiles(['test/e2e/**/*.test.ts'], process.argv.slice(2));
const name = (file: string) => basename(file).replace(/\.test\.ts$/, '');
const lastRun = lastFileTimes(RECORDS);
const rank = (file: string) => {
  const measured = MEASURED_LONGEST_FIRST.indexOf(name(file));
  return measured === -1 ? MEASURED_LONGEST_FIRST.length : measured;
};
const measured = files.every((f) => lastRun.has(f));
const queue = [...files].sort((a, b) => (measured ? (lastRun.get(b) ?? 0) - (lastRun.get(a) ?? 0) : rank(a) - rank(b)));
clearRecords(`${RECORDS}.`); // the single file of runs before this script
for (const file of files) clearRecords(`${RECORDS}-${name(file)}.`);
console.log(`${files.length} end-to-end files, ${concurrency} at a time: ${queue.map(name).join(', ')}`);

const failed: string[] = [];
await Promise.all(
  Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const code = await runNodeTest(name(file), ['--test-timeout=300000', ...reporterArgs(`${TIMINGS}/${RECORDS}-${name(file)}.txt`), file], `${RECORDS}-${name(file)}`);
      if (code !== 0) failed.push(`${file} (exit ${code})`);
    }
  }),
);
const records = readRecords(RECORDS).filter((r) => files.includes(r.file));
console.log(formatSlowest(records, 15));
console.log(summary('end-to-end tests', records, failed));
process.exit(failed.length > 0 ? 1 : 0);
