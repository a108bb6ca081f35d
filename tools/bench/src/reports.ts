/**
 * Reports ingest: how many events per second the reports read model applies
 * from a feed backlog. The measurement lives beside the service
 * (services/reports/bench/ingest.ts: real workers, a DuckDB file, a stand-in
 * orders outbox served over HTTP) and runs as a child process, so no tool
 * imports a service's source.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export interface IngestFigures {
  events: number;
  elapsedMs: number;
  eventsPerS: number;
}

const BENCH = fileURLToPath(new URL('../../../services/reports/bench/ingest.ts', import.meta.url));
/** A bench stuck ten minutes is broken, not slow. */
const BENCH_TIMEOUT_MS = 600_000;

export async function benchReportsIngest(count: number): Promise<IngestFigures> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [BENCH, String(count)], { maxBuffer: 1024 * 1024, timeout: BENCH_TIMEOUT_MS });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as IngestFigures;
  } catch (error) {
    throw new Error(`the reports ingest bench (${BENCH}) failed or ran past ${BENCH_TIMEOUT_MS / 1000} s: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
