/**
 * A node:test reporter, used beside `spec`: it records how long every test and
 * every test file took, prints this run's slowest at the end, and writes the
 * records to `.test-timings/<npm script>.jsonl` so that `npm run test:slowest`
 * can rank a whole `npm test` (unit and end-to-end runs together).
 *
 * A test's duration includes the `before` hooks that ran just ahead of it, so
 * an end-to-end file's first test carries the system's start-up.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { TestEvent } from 'node:test/reporters';
import { formatSlowest, type Timing } from './slowest-format.ts';

const SHOWN = 15;

/** Where a run's records go: one file per npm script (or unit shard, test/unit.ts), so runs do not overwrite each other. */
function recordsFile(): string {
  const script = (process.env['BAZAAR_TIMINGS_NAME'] ?? process.env['npm_lifecycle_event'] ?? 'node-test').replace(/[^\w.-]/g, '_');
  return `.test-timings/${script}.jsonl`;
}

export default async function* timings(source: AsyncIterable<TestEvent>): AsyncGenerator<string, void> {
  const records: Timing[] = [];
  // Under process isolation every file is also an entry of its own; with --test-isolation=none (test/unit.ts) there
  // are only tests, and a file's time is the sum of its tests'.
  const isolated = !process.execArgv.includes('--test-isolation=none');
  const fileTotals = new Map<string, Timing>();
  for await (const event of source) {
    if (event.type !== 'test:complete') continue;
    const { data } = event;
    // File-level entries (one per test file under process isolation) carry no entryFile.
    const entryFile = (data as { entryFile?: string }).entryFile;
    const file = relative(process.cwd(), data.file ?? '');
    if (isolated && entryFile === undefined) {
      records.push({ kind: 'file', file, name: file, ms: data.details.duration_ms, passed: data.details.passed });
    } else {
      if (data.details.type !== 'suite') records.push({ kind: 'test', file, name: data.name, ms: data.details.duration_ms, passed: data.details.passed });
      if (!isolated && data.nesting === 0) {
        const total = fileTotals.get(file) ?? { kind: 'file', file, name: file, ms: 0, passed: true };
        fileTotals.set(file, { ...total, ms: total.ms + data.details.duration_ms, passed: total.passed && data.details.passed });
      }
    }
  }
  records.push(...fileTotals.values());
  const out = recordsFile();
  mkdirSync('.test-timings', { recursive: true });
  writeFileSync(out, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  yield formatSlowest(records, SHOWN);
}
