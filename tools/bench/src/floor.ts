/**
 * The floor of a checkout: what a confirmed checkout does, as its traces tell (HTTP requests served and made,
 * SQLite statements and transactions), priced at what the same operations cost with nothing but Node's own
 * `node:http` and `node:sqlite` — no framework, no validation, no logging, no tracing — measured in this run
 * beside the yardstick. It says how far the real CPU per checkout is from what this design could cost with every
 * layer of ours made free, and whether a target in yardstick requests is below it.
 *
 * HTTP requests are counted by the services' own counters over the step (feed polls and the shopper's cart calls
 * included); statements and transactions by the spans that carry the order (the checkout's trace and the traces its
 * events start), so those of the feed polls are not: a lower bound. The span exports, the email's SMTP exchange and
 * the read models' own stores (DuckDB) are not priced.
 *
 * Priced hot, the bare pair runs flat out and stays on the CPU; a service in a system of fourteen processes on two
 * cores is asked a request now and then and woken for each, its caches cold. So the requests served are also priced
 * at a bare server asked one request at a time, at the rate each service was asked in the step (on this kind of
 * virtual machine a bare node:http server costs ~10× more per request at 80 a second than flat out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs } from './proc.ts';

/** CPU, in µs, of the bare operations. */
export interface BareCosts {
  /** A keep-alive HTTP/1.1 request served by a bare node:http server (JSON in and out), its process's CPU. */
  serverUs: number;
  /** The same request made by a bare node:http client with a keep-alive agent, its process's CPU. */
  clientUs: number;
  /** One prepared SQLite statement (a row read by its key), node:sqlite, WAL. */
  statementUs: number;
  /** One transaction around one insert, less the insert: BEGIN and COMMIT (WAL, synchronous=NORMAL), node:sqlite. */
  transactionUs: number;
  /**
   * With `paceRps`: the same request and answer asked one at a time, `rate` a second — the server woken for each, its
   * caches cold, as a service in a system of many processes is (hot, it stays on a core). The paced client's figure
   * is not used in the floor: it also wakes for its own timer, which a service calling another does not.
   */
  paced?: { rate: number; serverUs: number; clientUs: number };
}

/** What the checkouts' spans count, per confirmed checkout. */
export interface CheckoutOperations {
  orders: number;
  served: number;
  made: number;
  statements: number;
  transactions: number;
}

const BODY = JSON.stringify({ orderId: 'ord_0123456789abcdef', lines: [{ productId: 'p-0001', quantity: 2, price: { amount: 1999, currency: 'EUR' } }], total: { amount: 3998, currency: 'EUR' } });

const SERVER = `const body = ${JSON.stringify(BODY)};
require('node:http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });`;

/**
 * argv: port, in flight, warm-up ms, duration ms, rate. Prints "go" after the warm-up, then "done <requests>". A rate
 * (requests per second) paces one request at a time, each sent when it is due, as a service asked now and then is;
 * 0 asks as fast as the answers come (hot).
 */
const CLIENT = `const http = require('node:http');
const [port, inFlight, warmMs, runMs, rate] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
const body = ${JSON.stringify(BODY)};
let phase = 'warm', count = 0;
const once = () => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/internal/orders/ord_0123456789abcdef/reserve', agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01' } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => { JSON.parse(Buffer.concat(chunks).toString('utf8')); resolve(); });
  });
  req.on('error', reject);
  req.end(body);
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
let sent = 0;
const loop = async () => {
  while (phase !== 'stop') {
    if (rate > 0) { const wait = t0 + (sent++ * 1000) / rate - performance.now(); if (wait > 0) await sleep(wait); }
    await once();
    if (phase === 'run') count++;
  }
};
setTimeout(() => { phase = 'run'; process.stdout.write('go\\n'); setTimeout(() => { phase = 'stop'; }, runMs); }, warmMs);
Promise.all(Array.from({ length: rate > 0 ? 1 : inFlight }, loop)).then(() => { process.stdout.write('done ' + count + '\\n'); setInterval(() => {}, 1000); });`;

/** argv: file. Prints a JSON line of µs per statement and per transaction (less its insert), from the process's own CPU. */
const SQLITE = `const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(process.argv[1]);
db.exec('pragma journal_mode = wal; pragma synchronous = normal; create table t (id integer primary key, order_id text not null, status text not null, data text not null, updated_at text not null); create index t_status on t (status, updated_at);');
const insert = db.prepare('insert into t (order_id, status, data, updated_at) values (?, ?, ?, ?)');
const read = db.prepare('select * from t where id = ?');
const begin = db.prepare('begin'), commit = db.prepare('commit');
const data = ${JSON.stringify(BODY)};
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
const inserts = (n, tx) => { for (let i = 0; i < n; i++) { if (tx) begin.run(); insert.run('ord_' + i, 'PENDING', data, new Date().toISOString()); if (tx) commit.run(); } };
const reads = (n) => { for (let i = 0; i < n; i++) read.get(1 + (i % 1000)); };
inserts(2000, true); reads(20000);
let t = cpu(); reads(50000); const statementUs = (cpu() - t) / 50000;
t = cpu(); begin.run(); inserts(5000, false); commit.run(); const insertUs = (cpu() - t) / 5000;
t = cpu(); inserts(5000, true); const transactionUs = (cpu() - t) / 5000 - insertUs;
process.stdout.write(JSON.stringify({ statementUs, transactionUs }) + '\\n');`;

/** Wait for lines a child prints, by prefix, each within `timeoutMs`; rejects when the child exits first. */
export function lines(child: ChildProcess, what: string, timeoutMs: number): (prefix: string) => Promise<string> {
  let buffered = '';
  const waiting: { prefix: string; resolve: (line: string) => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      const i = waiting.findIndex((w) => line.startsWith(w.prefix));
      if (i >= 0) waiting.splice(i, 1)[0]?.resolve(line);
    }
  });
  return (prefix) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what} did not print "${prefix}" within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before printing "${prefix}"`)));
      waiting.push({ prefix, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
}

/**
 * Measure the bare operations' CPU, each in processes of its own (this Node). With `paceRps`, the HTTP pair is also
 * measured paced at that rate, for `pacedS` seconds (default: durationS, at least 200 requests).
 */
export async function measureBareCosts(opts: { durationS: number; inFlight?: number; paceRps?: number; pacedS?: number }): Promise<BareCosts> {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const children: ChildProcess[] = [server];
  const work = mkdtempSync(join(tmpdir(), 'bazaar-floor-'));
  try {
    const port = Number(await lines(server, 'the bare server', 20_000)(''));
    /** The server's and the client's µs per request over one run of a fresh client against the server. */
    const pair = async (inFlight: number, runS: number, rate: number): Promise<[number, number]> => {
      const client = spawn(process.execPath, ['-e', CLIENT, String(port), String(inFlight), '1000', String(runS * 1000), String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(client);
      const next = lines(client, 'the bare client', 20_000 + runS * 2000);
      await next('go');
      const before = [cpuMs(server.pid ?? -1), cpuMs(client.pid ?? -1)];
      const done = await next('done');
      const after = [cpuMs(server.pid ?? -1), cpuMs(client.pid ?? -1)];
      client.kill();
      const requests = Number(done.split(' ')[1]);
      if (!(requests > 0) || before.includes(undefined) || after.includes(undefined)) throw new Error(`the bare HTTP pair measured nothing (${rate > 0 ? `${rate} a second` : 'hot'})`);
      const us = (i: number) => (((after[i] as number) - (before[i] as number)) * 1000) / requests;
      return [us(0), us(1)];
    };
    const [serverUs, clientUs] = await pair(opts.inFlight ?? 4, opts.durationS, 0);
    let paced: BareCosts['paced'];
    if (opts.paceRps !== undefined && opts.paceRps > 0) {
      const rate = opts.paceRps;
      const [pacedServerUs, pacedClientUs] = await pair(1, Math.max(opts.pacedS ?? opts.durationS, 200 / rate), rate);
      paced = { rate, serverUs: pacedServerUs, clientUs: pacedClientUs };
    }
    const sqlite = spawn(process.execPath, ['-e', SQLITE, join(work, 'floor.sqlite')], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(sqlite);
    const db = JSON.parse(await lines(sqlite, 'the bare SQLite loop', 60_000)('{')) as { statementUs: number; transactionUs: number };
    return { serverUs, clientUs, statementUs: db.statementUs, transactionUs: Math.max(0, db.transactionUs), ...(paced ? { paced } : {}) };
  } finally {
    for (const child of children) child.kill();
    rmSync(work, { recursive: true, force: true });
  }
}

interface SpanLike {
  name: string;
  kind: number;
  service?: string;
}

/** Routes every service answers for operations (probes, scrapes), not for a checkout. */
const OPERATIONS_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
const ROUTE_LABEL = /route="([^"]*)"/;
const METHOD_LABEL = /method="([^"]*)"/;

/**
 * HTTP requests served so far by each service at its address, by service, method and route (`"cart PUT
 * /api/cart/items/:productId"`), from its `http_requests_total` counters (the kit's, and the gateway's on its admin
 * listener; every status summed), the operations routes left out. An address without the counter has no entries.
 */
export async function servedByRouteSoFar(targets: readonly { service: string; url: string }[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { service, url } of targets) {
    const res = await fetch(`${url}/metrics`).catch(() => undefined);
    if (!res?.ok) continue;
    for (const line of (await res.text()).split('\n')) {
      if (!line.startsWith('http_requests_total{')) continue;
      const route = ROUTE_LABEL.exec(line)?.[1] ?? '';
      if (OPERATIONS_ROUTES.has(route)) continue;
      const key = `${service} ${METHOD_LABEL.exec(line)?.[1] ?? ''} ${route}`;
      counts.set(key, (counts.get(key) ?? 0) + (Number(line.slice(line.lastIndexOf(' ') + 1)) || 0));
    }
  }
  return counts;
}

/**
 * What a step asked of each route: the counters after less before, per confirmed checkout, most asked first, routes
 * asked less than `min` times a checkout left out (a readiness poll or a stray scrape). ADR 0096's census of a
 * checkout's hops.
 */
export function servedPerCheckout(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, confirmed: number, min = 0.05): { route: string; perCheckout: number }[] {
  const rows: { route: string; perCheckout: number }[] = [];
  for (const [route, n] of after) {
    const perCheckout = (n - (before.get(route) ?? 0)) / Math.max(1, confirmed);
    if (perCheckout >= min) rows.push({ route, perCheckout });
  }
  return rows.sort((a, b) => b.perCheckout - a.perCheckout || a.route.localeCompare(b.route));
}

/**
 * Count, per order, what its spans say was done. `spansOf` gives every span of the order's traces (the launcher's
 * `/api/orders/<id>`). With `counted` (requests served per confirmed checkout by the services' counters: `internal`
 * by the services behind the gateway, feed polls and the cart calls before the checkout included; `gateway` by the
 * gateway), HTTP is counted from it instead: each internal request was made by another Bazaar process, and served;
 * the gateway's were served only (the shopper made them), from the spans when its count is missing (the checkout's
 * own request only: the cart's changes before it are traces of their own). Without, from the spans alone (a lower
 * bound).
 */
export async function countOperations(orderIds: string[], spansOf: (orderId: string) => Promise<SpanLike[]>, counted?: { internal: number; gateway?: number }): Promise<CheckoutOperations> {
  const totals = { orders: 0, served: 0, made: 0, statements: 0, transactions: 0, gateway: 0 };
  for (const id of orderIds) {
    const spans = await spansOf(id);
    if (spans.length === 0) continue;
    totals.orders++;
    for (const s of spans) {
      const db = /^(sqlite|postgresql) /.exec(s.name);
      if (db) {
        if (s.name.endsWith(' transaction')) totals.transactions++;
        else totals.statements++;
      } else if (s.kind === 1) {
        totals.served++;
        if (s.service === 'gateway') totals.gateway++;
      } else if (s.kind === 2 && /^(GET|POST|PUT|PATCH|DELETE|HEAD) /.test(s.name)) totals.made++;
    }
  }
  const per = (n: number) => (totals.orders === 0 ? 0 : n / totals.orders);
  const http = counted === undefined ? { served: per(totals.served), made: per(totals.made) } : { served: (counted.gateway ?? per(totals.gateway)) + counted.internal, made: counted.internal };
  return { orders: totals.orders, ...http, statements: per(totals.statements), transactions: per(totals.transactions) };
}

/**
 * The floor in µs of CPU: every counted operation at its bare cost — hot, or with `at: 'paced'` each request served
 * at the paced server's cost (requests made, statements and transactions at their hot cost in both: a lower bound).
 */
export function floorUs(ops: CheckoutOperations, costs: BareCosts, at: 'hot' | 'paced' = 'hot'): number {
  const serverUs = at === 'paced' && costs.paced ? costs.paced.serverUs : costs.serverUs;
  return ops.served * serverUs + ops.made * costs.clientUs + ops.statements * costs.statementUs + ops.transactions * costs.transactionUs;
}

/**
 * The rate at which each service was asked, on average, in a step: requests served per confirmed checkout (behind
 * the gateway) times confirmed checkouts a second, over the services that serve them.
 */
export function perServiceRate(servedPerCheckout: number, confirmedPerS: number, services: number): number {
  return services > 0 ? (servedPerCheckout * confirmedPerS) / services : 0;
}
