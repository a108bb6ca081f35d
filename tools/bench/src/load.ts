/**
 * HTTP load for the bench's read figures and its yardstick: wrk when it is
 * installed (written in C, one thread: it leaves the second core to what is
 * measured, as issue 14 measured), autocannon otherwise (in Node, in the
 * bench's own process: it competes for the CPU, so figures taken with it
 * compare only with each other).
 */
import { spawn, spawnSync } from 'node:child_process';
import autocannon from 'autocannon';

export type LoadTool = 'wrk' | 'autocannon';

export interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
}

export interface LoadOptions {
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
}

let found: LoadTool | undefined;

/** Whether `command` runs (is on the PATH). */
export function installed(command: string): boolean {
  return spawnSync(command, ['-v'], { stdio: 'ignore' }).error === undefined;
}

/** wrk when it is on the PATH, else autocannon; `BENCH_LOAD_TOOL=autocannon` forces autocannon. */
export function loadTool(): LoadTool {
  if (process.env.BENCH_LOAD_TOOL === 'autocannon') return 'autocannon';
  found ??= installed('wrk') ? 'wrk' : 'autocannon';
  return found;
}

/** What the bench prints about its load tool. */
export function describeLoadTool(tool: LoadTool): string {
  return tool === 'wrk'
    ? 'load: wrk -t1 (issue 14\'s tool)'
    : 'load: autocannon in the bench\'s process (wrk not found; install it: apt-get install wrk). Figures compare only with runs that used autocannon';
}

/** Parse wrk's `--latency` report. */
export function parseWrk(out: string): LoadFigures {
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${out}`);
  return {
    rps: Number(rps[1]),
    p50: ms('50%'),
    p99: ms('99%'),
    errors: num(/Non-2xx or 3xx responses: (\d+)/) + (socketErrors ? socketErrors.slice(1).reduce((s, v) => s + Number(v), 0) : 0),
    requests: num(/(\d+) requests in/),
  };
}

/** Load `url` for `durationS` with `connections` connections. */
export async function runLoad(tool: LoadTool, url: string, opts: LoadOptions): Promise<LoadFigures> {
  if (tool === 'autocannon') {
    const r = await autocannon({ url, connections: opts.connections, duration: opts.durationS, ...(opts.headers ? { headers: opts.headers } : {}) });
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, requests: r.requests.total };
  }
  const headerArgs = Object.entries(opts.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${opts.connections}`, `-d${opts.durationS}s`, '--latency', ...headerArgs, url]);
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
  });
  return parseWrk(out);
}
