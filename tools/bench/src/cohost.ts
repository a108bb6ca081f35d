/**
 * What hosting costs (ADR 0096): a chain of bare `node:http` servers, each calling the next over a keep-alive
 * connection as a service calls another, the first asked one request at a time at the rate each service was asked in
 * the checkout step — hosted three ways:
 *
 * - `processes`: each server a process of its own (as `npm start` runs the services);
 * - `threads`: each server a worker thread of one process (its own event loop and heap, one address space);
 * - `loop`: every server on one event loop of one process.
 *
 * Each server's CPU comes from the scheduler's own count (`/proc/<pid>/task/<tid>/schedstat`, every thread, exact to
 * the nanosecond; tick-sampled `/proc/<pid>/stat` reads a process woken now and then too low). On the development
 * machine a request that wakes a process costs ~10× what it costs flat out, and four servers on one loop cost less
 * than a third of four in processes; worker threads saved a tenth or two (docs/performance.md, "December 7,
 * seventh session"). Printed in every run so that the choice ADR 0096 asks for can be judged on the machine at hand:
 * where waking a process is cheap, the three figures come close and co-hosting buys little.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpuMs, schedCpuMs } from './proc.ts';
import { lines } from './floor.ts';

export type Hosting = 'processes' | 'threads' | 'loop';

export interface HostingCost {
  hosting: Hosting;
  /** Requests the client sent to the first server (each went through the whole chain). */
  requests: number;
  /** CPU of every server process, all threads, per request through the chain, in µs. */
  perRequestUs: number;
  /** Whether the CPU came from the scheduler's count (else from tick-sampled /proc/<pid>/stat). */
  exact: boolean;
}

const BODY = JSON.stringify({ orderId: 'ord_0123456789abcdef', items: [{ productId: 'p-0001', quantity: 2 }], hops: 0 });

/**
 * One server of the chain: reads the JSON body, calls the next server (if any) with it over a keep-alive agent, and
 * answers with `hops` one more than the next server's (a leaf answers 1), so the client can check that every request
 * went through the whole chain.
 */
const SERVE = `const http = require('node:http');
function serve(next) {
  const agent = new http.Agent({ keepAlive: true });
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = (hops) => { const out = JSON.stringify({ ...JSON.parse(body), hops }); res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }); res.end(out); };
        if (!next) return answer(1);
        const up = http.request({ host: '127.0.0.1', port: next, method: 'POST', path: '/next', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (r) => {
          const got = [];
          r.on('data', (c) => got.push(c));
          r.on('end', () => answer(JSON.parse(Buffer.concat(got).toString('utf8')).hops + 1));
        });
        up.on('error', () => { res.writeHead(502).end(); });
        up.end(body);
      });
    });
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}`;

/** A worker thread of the `threads` hosting: one server, its port posted to the host. */
const WORKER = `${SERVE}
const { parentPort, workerData } = require('node:worker_threads');
serve(workerData.next).then((port) => parentPort.postMessage(port));`;

/** argv: hosting ('one' <next port> | 'loop' <servers> | 'threads' <servers>). Prints the first server's port. */
const HOST = `${SERVE}
const { Worker } = require('node:worker_threads');
(async () => {
  const [how, arg] = process.argv.slice(1);
  let next = 0;
  if (how === 'one') next = await serve(Number(arg));
  else for (let i = 0; i < Number(arg); i++) {
    if (how === 'loop') next = await serve(next);
    else { const w = new Worker(${JSON.stringify(WORKER)}, { eval: true, workerData: { next } }); next = await new Promise((r) => w.once('message', r)); }
  }
  process.stdout.write(next + '\\n');
})();`;

/** argv: port, servers, warm-up requests, rate, seconds. Prints "go" after the warm-up, then "done <requests>"; exits 1 if an answer did not cross every server. */
const CLIENT = `const http = require('node:http');
const [port, servers, warm, rate, seconds] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const body = ${JSON.stringify(BODY)};
const once = () => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const hops = res.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString('utf8')).hops : undefined;
      if (hops !== servers) { process.stderr.write('an answer crossed ' + hops + ' of ' + servers + ' servers (status ' + res.statusCode + ')\\n'); process.exit(1); }
      resolve();
    });
  });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  for (let i = 0; i < warm; i++) await once();
  await new Promise((r) => setTimeout(r, 500));
  process.stdout.write('go\\n');
  const n = Math.round(rate * seconds), t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await once();
  }
  process.stdout.write('done ' + n + '\\n');
  setInterval(() => {}, 1000);
})();`;

/** CPU ms of these processes together, exact where the scheduler's count is there, else tick-sampled. */
function used(pids: number[]): { ms: number; exact: boolean } | undefined {
  let ms = 0;
  let exact = true;
  for (const pid of pids) {
    const sched = schedCpuMs(pid);
    const value = sched ?? cpuMs(pid);
    if (value === undefined) return undefined;
    if (sched === undefined) exact = false;
    ms += value;
  }
  return { ms, exact };
}

/**
 * Measure one hosting: start the chain of `servers` (this Node, one V8 worker thread each, as the launcher runs
 * services), warm it up, then pace `rate` requests a second through it for `seconds`.
 */
export async function measureHosting(hosting: Hosting, opts: { servers: number; rate: number; seconds: number; warmup?: number }): Promise<HostingCost> {
  if (!(opts.servers >= 1) || !(opts.rate > 0) || !(opts.seconds > 0)) throw new Error(`a chain needs at least one server, a rate and a duration (got ${opts.servers}, ${opts.rate}/s, ${opts.seconds} s)`);
  const children: ChildProcess[] = [];
  const host = async (args: string[]): Promise<number> => {
    const child = spawn(process.execPath, ['--v8-pool-size=1', '-e', HOST, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return Number(await lines(child, `the ${hosting} host`, 20_000)(''));
  };
  try {
    let first = 0;
    if (hosting === 'processes') for (let i = 0; i < opts.servers; i++) first = await host(['one', String(first)]);
    else first = await host([hosting, String(opts.servers)]);
    const pids = children.map((c) => c.pid ?? -1);
    const client = spawn(process.execPath, ['-e', CLIENT, String(first), String(opts.servers), String(opts.warmup ?? 300), String(opts.rate), String(opts.seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(client);
    const next = lines(client, `the client of the ${hosting} chain`, 30_000 + opts.seconds * 3000);
    await next('go');
    const before = used(pids);
    const done = await next('done');
    const after = used(pids);
    const requests = Number(done.split(' ')[1]);
    if (before === undefined || after === undefined || !(requests > 0)) throw new Error(`the ${hosting} chain measured nothing`);
    return { hosting, requests, perRequestUs: ((after.ms - before.ms) * 1000) / requests, exact: before.exact && after.exact };
  } finally {
    for (const child of children) child.kill();
  }
}

/** The three hostings, one after another, `rounds` times alternated; the median of each hosting's rounds. */
export async function measureHostings(opts: { servers: number; rate: number; seconds: number; rounds?: number; hostings?: Hosting[] }): Promise<HostingCost[]> {
  const hostings = opts.hostings ?? ['processes', 'threads', 'loop'];
  const runs = new Map<Hosting, HostingCost[]>();
  for (let round = 0; round < (opts.rounds ?? 1); round++) {
    for (const hosting of hostings) runs.set(hosting, [...(runs.get(hosting) ?? []), await measureHosting(hosting, opts)]);
  }
  return hostings.map((hosting) => median(runs.get(hosting) ?? []));
}

/** The run with the median CPU per request (the lower of the two middle ones for an even count). */
export function median(costs: HostingCost[]): HostingCost {
  const sorted = [...costs].sort((a, b) => a.perRequestUs - b.perRequestUs);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!mid) throw new Error('no run to take the median of');
  return mid;
}
