/**
 * What `test/unit.ts` and `test/e2e.ts` share: running `node --test` child
 * processes side by side with their output kept readable (whole lines, each
 * prefixed with the child's label), the timings the reporter recorded, and a
 * longest-first order from them.
 */
import { spawn } from 'node:child_process';
import { globSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { Timing } from './reporters/slowest-format.ts';

export const TIMINGS = '.test-timings';

/** The test files matching `patterns`, narrowed to those under one of `only` (paths given on the command line). */
export function testFiles(patterns: string[], only: string[]): string[] {
  const files = globSync(patterns)
    .filter((f) => only.length === 0 || only.some((p) => f.startsWith(p.replace(/^\.\//, ''))))
    .sort();
  if (files.length === 0) {
    console.error(`no test files match ${only.join(' ')}`);
    process.exit(2);
  }
  return files;
}

/** A whole number from the environment, within bounds, or the default; exits with a message otherwise. */
export function countFromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`${name} must be a whole number from 1 to ${max}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

/** The records the timings reporter left for runs whose names start with `prefix` (e.g. `test_unit`). */
export function readRecords(prefix: string): Timing[] {
  return globSync(`${TIMINGS}/${prefix}*.jsonl`).flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Timing),
  );
}

/** Each file's time in the last run's records (files absent from them are not in the map). */
export function lastFileTimes(prefix: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const r of readRecords(prefix)) if (r.kind === 'file') times.set(r.file, r.ms);
  return times;
}

/** Forget the last run's records for `prefix`, once they have been read: this run writes its own. */
export function clearRecords(prefix: string): void {
  mkdirSync(TIMINGS, { recursive: true });
  for (const f of globSync(`${TIMINGS}/${prefix}*`)) rmSync(f);
}

/**
 * `node --test <args>` as a child whose output is written line by line, each line prefixed with `[label]`.
 * Resolves with its exit code (128 when a signal ended it).
 */
export function runNodeTest(label: string, args: string[], timingsName: string): Promise<number> {
  const child = spawn(process.execPath, ['--test', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BAZAAR_TIMINGS_NAME: timingsName },
  });
  const prefix = `[${label}] `;
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

/** The reporters every run uses: spec to the terminal, timings (records for test:slowest) to `timingsOut`. */
export const reporterArgs = (timingsOut: string): string[] => [
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=./test/reporters/timings.ts',
  `--test-reporter-destination=${timingsOut}`,
];

/** Tests and failures in records, as one line. */
export function summary(what: string, records: Timing[], failed: string[]): string {
  const tests = records.filter((r) => r.kind === 'test');
  const bad = tests.filter((r) => !r.passed).length;
  return `${what}: ${tests.length - bad} passed, ${bad} failed${failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''}`;
}
