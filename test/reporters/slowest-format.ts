/** How the timings reporter and `npm run test:slowest` rank and print durations. */

export interface Timing {
  kind: 'test' | 'file';
  file: string;
  name: string;
  ms: number;
  passed: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(6)} s`;

/** The `shown` slowest tests and files, as text for the end of a test run. */
export function formatSlowest(records: readonly Timing[], shown: number): string {
  const byTime = (a: Timing, b: Timing) => b.ms - a.ms;
  const tests = records.filter((r) => r.kind === 'test').sort(byTime).slice(0, shown);
  const files = records.filter((r) => r.kind === 'file').sort(byTime).slice(0, Math.min(shown, 10));
  const line = (r: Timing, label: string) => `${seconds(r.ms)}  ${r.passed ? '' : '(failed) '}${label}`;
  return [
    '',
    `Slowest ${tests.length} tests:`,
    ...tests.map((r) => line(r, `${r.name}  (${r.file})`)),
    ...(files.length > 0 ? ['', `Slowest ${files.length} test files (wall time of their tests, with the hooks of an end-to-end file):`, ...files.map((r) => line(r, r.file))] : []),
    '',
  ].join('\n');
}
