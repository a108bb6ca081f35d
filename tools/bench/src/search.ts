/**
 * Search query latency, measured by search's own bench
 * (services/search/bench/search.ts) in a child process: over HTTP against a
 * running search (through the gateway or direct), and in process against its
 * index holding 100,000 generated products. Tools use services through their
 * APIs only, so the in-process part runs there, not here. Figures, not assertions.
 *
 *   node tools/bench/src/search.ts [baseUrl]   (standalone; in-process only without a URL)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatTable } from '../../launcher/src/table.ts';

/** One measured run of queries (as services/search/bench/search.ts reports it). */
export interface SearchFigures {
  name: string;
  queries: number;
  p50: number;
  p99: number;
  qps: number;
}

export interface SearchBenchOptions {
  /** Base URL of a running system (gateway or search itself); omitted: the HTTP part is skipped. */
  baseUrl?: string;
  /** Products in the in-process index. Default 100,000; 0 skips the in-process part. */
  products?: number;
  /** Queries per measurement. Default 500 over HTTP, 2,000 in process. */
  httpQueries?: number;
  inProcessQueries?: number;
  /** Print progress and the table to stdout. Default true. */
  print?: boolean;
}

const BENCH = fileURLToPath(new URL('../../../services/search/bench/search.ts', import.meta.url));
/** Indexing 100,000 products takes seconds; a bench stuck ten minutes is broken, not slow. */
const BENCH_TIMEOUT_MS = 600_000;

/** Measure search queries; prints a table (unless print is false) and returns the figures. */
export async function benchSearch(opts: SearchBenchOptions = {}): Promise<SearchFigures[]> {
  const args = [
    BENCH,
    ...(opts.baseUrl ? ['--url', opts.baseUrl] : []),
    '--products', String(opts.products ?? 100_000),
    '--http-queries', String(opts.httpQueries ?? 500),
    '--in-process-queries', String(opts.inProcessQueries ?? 2000),
  ];
  const child = promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024, timeout: BENCH_TIMEOUT_MS });
  // Progress lines (stderr) are shown as they come, unless printing is off.
  if (opts.print !== false) child.child.stderr?.pipe(process.stdout);
  let stdout: string;
  try {
    ({ stdout } = await child);
  } catch (error) {
    throw new Error(`the search bench (${BENCH}) failed or ran past ${BENCH_TIMEOUT_MS / 1000} s: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const report = JSON.parse(stdout) as { results: SearchFigures[]; notes: string[] };
  if (opts.print !== false) {
    process.stdout.write(`\n${formatTable(
      ['search queries (mix: words, prefixes, typos, 2 words, filters, browse)', 'queries', 'p50 ms', 'p99 ms', 'queries/s'],
      report.results.map((r) => [r.name, String(r.queries), r.p50.toFixed(2), r.p99.toFixed(2), r.qps.toFixed(0)]),
    )}\n${report.notes.map((line) => `  ${line}\n`).join('')}\n`);
  }
  return report.results;
}

if (import.meta.main) {
  const baseUrl = process.argv[2];
  await benchSearch(baseUrl ? { baseUrl } : {});
}
