/**
 * `npm run bench`: starts the real system (launcher, one process per
 * service) on a private port range, then prints
 *   - the yardstick (a bare node:http hello server, same load tool), first
 *     and last, and the machine load: every figure is also given as a
 *     multiple of the yardstick, so runs on different machines compare;
 *   - start-up time, cold (empty data dir: migrations + catalog seed) and warm;
 *   - idle RSS per process of the whole system (services, launcher, anything under it), and their PSS (shared pages counted once);
 *   - req/s, p50 and p99 for catalog reads, direct and through the gateway,
 *     measured in one run with the same load so the ratio is meaningful;
 *   - the same for the storefront's home, category, product and search pages;
 *   - the kit's overhead again: yardstick, product read and /healthz in turn, warmed, 3 rounds (kit.ts);
 *   - a checkout concurrency sweep (1, 4, 16, 64 in flight): confirmed/s, p50,
 *     p99 and CPU per confirmed checkout by service (from /proc);
 *   - event lag, outbox to consumer's effect, p50/p99 per consumer (lag.ts);
 *   - the reports read model's ingest rate from a feed backlog;
 *   - checkout p99 while the reports read model rebuilds from 10,000 events,
 *     against quiet (rebuild.ts);
 *   - search queries; then tracing's cost (tracing off and on, side by side).
 * Figures, not assertions: machines are shared and noisy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareBundles, startSystem, type RunningSystem } from '../../launcher/src/harness.ts';
import { formatTable } from '../../launcher/src/table.ts';
import { BENCH_RATE_LIMITS, checkoutsWithCpu, describeAnswers } from './checkout.ts';
import { benchGateway } from './gateway.ts';
import { benchSearch } from './search.ts';
import { benchTracing, pooled, tracingCost, type ModeFigures } from './tracing.ts';
import { descendants, pssMb, rssMb } from './proc.ts';
import { benchReportsIngest } from './reports.ts';
import { benchRebuild } from './rebuild.ts';
import { benchEventLag } from './lag.ts';
import { countOperations, floorUs, measureBareCosts, perServiceRate, servedByRouteSoFar, servedPerCheckout } from './floor.ts';
import { measureHostings, type Hosting } from './cohost.ts';
import { machineLoad, measureYardstick } from './yardstick.ts';
import { benchKitOverhead } from './kit.ts';
import { describeLoadTool, loadTool, runLoad } from './load.ts';

const duration = Number(process.env.BENCH_DURATION_S ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const portBase = Number(process.env.BENCH_PORT_BASE ?? 26000);
/** The sweep step whose checkouts' events the event lag is read for. */
const LAG_IN_FLIGHT = 4;
/** Shoppers checking out while a read model rebuilds (and in the quiet bursts it is compared with). */
const REBUILD_IN_FLIGHT = 4;
/** The chain the hosting section runs: as deep as a checkout's deepest path (gateway → orders → payments → psp-sim). */
const COHOST_SERVERS = 4;
/** Rounds of yardstick, product read and /healthz in turn for the kit's overhead (BENCH_KIT_ROUNDS). */
const KIT_ROUNDS = Number(process.env.BENCH_KIT_ROUNDS ?? 3);
const pct = (share: number) => `${(100 * share).toFixed(1)} %`;
const HOSTING_LABEL: Record<Hosting, string> = { processes: 'each server a process of its own', threads: 'each a worker thread of one process', loop: 'all on one event loop of one process' };

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(name: string, url: string): Promise<Figures> {
  process.stdout.write(`  load: ${name} (${connections} connections, ${duration} s)…\n`);
  const result = await runLoad(loadTool(), url, { connections, durationS: duration });
  return { name, rps: result.rps, p50: result.p50, p99: result.p99, errors: result.errors };
}

const work = mkdtempSync(join(tmpdir(), 'bazaar-bench-'));
// Limits far above the load: the bench measures speed, not the rate limiter's verdicts.
const opts = { portBase, dataDir: join(work, 'data'), logDir: join(work, 'logs'), env: { LOG_LEVEL: 'warn', RATE_LIMITS: BENCH_RATE_LIMITS } };
let system: RunningSystem | undefined;

/** Checkout load with tracing off and on, side by side with the yardstick (npm run bench -- --tracing runs only this). */
async function tracingSection(): Promise<void> {
  const tracing = await benchTracing({
    start: opts,
    shoppers: Number(process.env.BENCH_TRACING_SHOPPERS ?? 4),
    perShopper: Number(process.env.BENCH_TRACING_CHECKOUTS ?? 25),
    warmup: Number(process.env.BENCH_TRACING_WARMUP ?? 120),
    bursts: Number(process.env.BENCH_TRACING_BURSTS ?? 16),
    yardstick: { connections, durationS: duration },
  });
  const [off, on] = [pooled(tracing.bursts, 'off'), pooled(tracing.bursts, 'on')];
  const row = (label: string, f: ModeFigures) => [label, String(f.checkouts), f.perSecond.toFixed(1), f.p50.toFixed(1), f.p99.toFixed(1), f.cpuMsPerCheckout.toFixed(1), f.launcherCpuMsPerCheckout.toFixed(1)];
  process.stdout.write(`\n${formatTable(
    ['checkout bursts, tracing', 'pair', 'confirmed', 'checkouts/s', 'p50 ms', 'p99 ms', 'CPU ms/checkout', 'of which launcher'],
    tracing.bursts.map((b) => {
      const f = pooled([b], b.mode);
      return [b.mode, String(b.pair), String(f.checkouts), f.perSecond.toFixed(1), f.p50.toFixed(1), f.p99.toFixed(1), f.cpuMsPerCheckout.toFixed(1), f.launcherCpuMsPerCheckout.toFixed(1)];
    }),
  )}\n`);
  const { yardstick } = tracing;
  process.stdout.write(`\n${formatTable(
    ['all bursts pooled, tracing', 'confirmed', 'checkouts/s', 'p50 ms', 'p99 ms', 'CPU ms/checkout', 'of which launcher'],
    [row('off (OTEL_SDK_DISABLED=true)', off), row('on (every span, to the launcher)', on)],
  )}\nyardstick ${yardstick.before.toFixed(0)} req/s before the bursts, ${yardstick.after.toFixed(0)} after (${tracing.load})\n`);
  process.stdout.write(`\n${formatTable(
    ['CPU ms per checkout, pooled', 'off', 'on', 'difference'],
    Object.keys(on.byProcess).map((name) => [name, (off.byProcess[name] ?? 0).toFixed(2), (on.byProcess[name] ?? 0).toFixed(2), `${((on.byProcess[name] ?? 0) - (off.byProcess[name] ?? 0)).toFixed(2)}`]),
  )}\n`);
  const cost = tracingCost(tracing.bursts);
  process.stdout.write(`tracing cost: throughput ${cost.throughput.toFixed(1)} % (median of the pairs ${cost.throughputMedianOfPairs.toFixed(1)} %), p99 ${cost.p99.toFixed(1)} % (median of the pairs ${cost.p99MedianOfPairs.toFixed(1)} %), CPU per checkout ${cost.cpu.toFixed(1)} % (services alone ${cost.servicesCpu.toFixed(1)} %, the rest is the launcher storing spans) (target ≤ 10 %)\n`);
}

/**
 * Every process of the running system: the services, the launcher itself (it supervises them, stores their spans
 * and logs, serves the operator's page) and anything else running under it (an esbuild left behind, say). Until
 * December 7 the idle memory and the checkout sweep's CPU counted the services alone.
 */
async function systemProcesses(system: RunningSystem): Promise<{ name: string; pid: number | undefined }[]> {
  const services = await system.services();
  const launcherPid = system.launcher.pid;
  if (launcherPid === undefined) return services;
  const known = new Set(services.map((s) => s.pid));
  const others = descendants(launcherPid).filter((p) => !known.has(p.pid) && p.comm !== 'sh');
  return [...services, { name: 'launcher', pid: launcherPid }, ...others.map((p) => ({ name: p.comm, pid: p.pid }))];
}

/** Everything: yardstick, start-up, memory, reads, pages, the edge, checkouts, ingest, search, then tracing off and on. */
async function fullBench(): Promise<void> {
    process.stdout.write(`Bazaar benchmark — Node ${process.version}, ${connections} connections, ${duration} s per load\n\n`);
    process.stdout.write(`  ${describeLoadTool(loadTool())}\n`);
    const yard = await measureYardstick({ connections, durationS: duration });
    process.stdout.write(`  yardstick: bare node:http hello ${yard.rps.toFixed(0)} req/s (${yard.tool}; ${machineLoad()})\n`);
    // The runs before December 7 loaded the yardstick with autocannon in the bench's own process: printed beside it, so
    // their figures can still be set against this run's.
    const oldYard = yard.tool === 'wrk' ? await measureYardstick({ connections, durationS: duration, tool: 'autocannon' }) : undefined;
    if (oldYard) process.stdout.write(`  (the yardstick as runs before December 7 measured it, autocannon in this process: ${oldYard.rps.toFixed(0)} req/s)\n`);
    const x = (rps: number) => `${((100 * rps) / yard.rps).toFixed(1)} % of yardstick`;
    const inYard = (cpuMs: number) => `${((cpuMs * 1000) / yard.usPerRequest).toFixed(0)} yardstick requests`;
    process.stdout.write(`  ${await prepareBundles()} (the launcher's esbuild bundles, ADR 0051; not part of the start-up below)\n`);
    let t0 = Date.now();
    system = await startSystem(opts);
    const cold = Date.now() - t0;
    await system.stop();
    t0 = Date.now();
    system = await startSystem(opts);
    const warm = Date.now() - t0;
    process.stdout.write(`  start-up: cold ${cold} ms (migrations + seed), warm ${warm} ms (${machineLoad()}; ${(cold / yard.usPerRequest * 1000).toFixed(0)} / ${(warm / yard.usPerRequest * 1000).toFixed(0)} yardstick requests)\n`);
    // Idle: nothing has been asked of the system since it said ready.
    await new Promise((r) => setTimeout(r, 3000));
    const idle = (await systemProcesses(system)).map((s) => ({ name: s.name, mb: s.pid === undefined ? undefined : rssMb(s.pid), pss: s.pid === undefined ? undefined : pssMb(s.pid) }));
    const idleTotal = idle.reduce((sum, s) => sum + (s.mb ?? 0), 0);
    const idlePss = idle.reduce((sum, s) => sum + (s.pss ?? 0), 0);
    process.stdout.write(`  idle RSS: ${idleTotal.toFixed(0)} MB in ${idle.length} processes — ${idle.map((s) => `${s.name} ${s.mb?.toFixed(0) ?? '?'}`).join(', ')}\n`);
    process.stdout.write(`  idle PSS: ${idlePss.toFixed(0)} MB (the same processes, each page they share counted once: what they hold of the machine's memory)\n`);

    const catalog = await system.service('catalog');
    const page = (await (await fetch(`${system.gatewayUrl}/api/catalog/products?limit=1`)).json()) as { items: { id: string }[] };
    const id = page.items[0]?.id;
    if (!id) throw new Error('the catalog returned no product');
    const results = [
      await load('product by id — direct to catalog', `${catalog.url}/api/catalog/products/${id}`),
      await load('product by id — through gateway', `${system.gatewayUrl}/api/catalog/products/${id}`),
      // The service kit alone (fastify, the kit's hooks, ids, metrics): issue 14's measure of the kit's own cost.
      await load('catalog /healthz — direct (the kit alone)', `${catalog.url}/healthz`),
      await load('product page (20) — through gateway', `${system.gatewayUrl}/api/catalog/products?limit=20`),
      // Server-rendered storefront pages (HTML, through the gateway, as a browser asks for them).
      await load('storefront: home page', `${system.gatewayUrl}/`),
      await load('storefront: category page', `${system.gatewayUrl}/c/audio`),
      await load('storefront: product page', `${system.gatewayUrl}/p/${id}`),
      await load('storefront: search page (typo)', `${system.gatewayUrl}/search?q=headphnes`),
    ];
    const [direct, viaGateway, healthz] = results as [Figures, Figures, Figures];
    process.stdout.write(`\n${formatTable(
      ['load', 'req/s', 'vs yardstick', 'p50 ms', 'p99 ms', 'errors'],
      results.map((r) => [r.name, r.rps.toFixed(0), x(r.rps), r.p50.toFixed(1), r.p99.toFixed(1), String(r.errors)]),
    )}\n  (${machineLoad()})\n\n`);
    // Issue 14's kit measures again, warmed and interleaved with the yardstick: a read's ratio set against a
    // yardstick of its own minute (kit.ts).
    const kit = await benchKitOverhead({
      readUrl: `${catalog.url}/api/catalog/products/${id}`,
      healthzUrl: `${catalog.url}/healthz`,
      catalogPid: catalog.pid,
      connections,
      durationS: duration,
      rounds: KIT_ROUNDS,
      progress: (line) => process.stdout.write(line),
    });
    process.stdout.write(`\n${formatTable(
      ['kit\'s overhead, interleaved', 'yardstick req/s', 'product read req/s', 'read ÷ yardstick', 'catalog CPU µs/read', '/healthz req/s', '/healthz ÷ yardstick'],
      [
        ...kit.rounds.map((r, i) => [`round ${i + 1}`, r.yardstick.toFixed(0), r.read.toFixed(0), pct(r.read / r.yardstick), r.readCpuUs?.toFixed(0) ?? '–', r.healthz.toFixed(0), pct(r.healthz / r.yardstick)]),
        ['median of the rounds\' ratios', '', '', pct(kit.readShare), kit.readCpuUs?.toFixed(0) ?? '–', '', pct(kit.healthzShare)],
      ],
    )}\n  (each target warmed first; each round's yardstick measured just before its read; issue 14's targets: product read ≥ 35 %; ${machineLoad()})\n\n`);
    const edge = await benchGateway(system, { connections, durationS: duration });
    const checkoutCount = Number(process.env.BENCH_CHECKOUTS ?? 200);
    const sweep = (process.env.BENCH_IN_FLIGHT ?? '1,4,16,64').split(',').map(Number);
    const rows: string[][] = [];
    const cpuRows: string[] = [];
    let lagOrders: string[] = [];
    let lagCpuMs = 0;
    let lagServed: number | undefined;
    let lagGatewayServed: number | undefined;
    let lagRoutes: { route: string; perCheckout: number }[] = [];
    let lagRate = 0;
    for (const inFlight of sweep) {
      // Every shopper checks out at least twice: 40 checkouts would leave 24 of 64 shoppers idle.
      const count = Math.max(checkoutCount, 2 * inFlight);
      process.stdout.write(`  checkout: ${count} checkouts through the gateway, ${inFlight} in flight…\n`);
      // The read models' share counts too (the window stays open until the processes settle); the shoppers' sign-up does not.
      // The step whose checkouts the event lag and the floor read: LAG_IN_FLIGHT, or the first when the sweep lacks it.
      const lagStep = inFlight === LAG_IN_FLIGHT || lagOrders.length === 0;
      const serviceUrls = lagStep ? (await system.services()).map((info) => ({ service: info.name, url: info.url })) : [];
      // The gateway counts its requests on its admin listener (the launcher puts it at the port base + 85).
      if (lagStep) serviceUrls.push({ service: 'gateway', url: `http://${new URL(system.gatewayUrl).hostname}:${portBase + 85}` });
      const servedBefore = await servedByRouteSoFar(serviceUrls);
      const { figures: co, cpuMs: used } = await checkoutsWithCpu(system.gatewayUrl, count, { inFlight, keepSamples: true, processes: await systemProcesses(system) });
      const perCheckout = [...used].map(([name, ms]) => [name, ms / Math.max(1, co.confirmed)] as const).sort((a, b) => b[1] - a[1]);
      const total = perCheckout.reduce((sum, [, ms]) => sum + ms, 0);
      if (lagStep) {
        lagOrders = (co.samples ?? []).flatMap((c) => (c.confirmed && c.orderId ? [c.orderId] : []));
        lagRoutes = servedPerCheckout(servedBefore, await servedByRouteSoFar(serviceUrls), co.confirmed, 0);
        lagServed = 0;
        lagGatewayServed = undefined;
        for (const r of lagRoutes) {
          if (r.route.startsWith('gateway ')) lagGatewayServed = (lagGatewayServed ?? 0) + r.perCheckout;
          else lagServed += r.perCheckout;
        }
        lagCpuMs = total;
        // The rate each service was asked at, on average: the internal requests over the services (the gateway's admin entry not one).
        lagRate = perServiceRate(lagServed, co.confirmedPerS, serviceUrls.length - 1);
      }
      rows.push([String(inFlight), `${co.confirmed}/${co.checkouts}${describeAnswers(co)}`, co.confirmedPerS.toFixed(1), co.p50.toFixed(0), co.p99.toFixed(0), total.toFixed(1), inYard(total), machineLoad()]);
      cpuRows.push(`  ${inFlight} in flight — CPU ms per confirmed checkout: ${perCheckout.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ')}`);
    }
    process.stdout.write(`\n${formatTable(['in flight', 'confirmed', 'confirmed/s', 'p50 ms', 'p99 ms', 'CPU ms/checkout', 'as yardstick', 'machine'], rows)}\n${cpuRows.join('\n')}\n\n`);
    const lag = await benchEventLag(system, lagOrders);
    process.stdout.write(`${formatTable(
      [`event lag, outbox → consumer's effect (the events of ${lagOrders.length} checkouts)`, 'events', 'p50 ms', 'p99 ms', 'max ms'],
      [...lag.edges.map((e) => [e.edge, String(e.n), e.p50.toFixed(1), e.p99.toFixed(1), e.max.toFixed(1)]), ['all', String(lag.all.n), lag.all.p50.toFixed(1), lag.all.p99.toFixed(1), '']],
    )}\n${lag.unmatched > 0 ? `  (${lag.unmatched} consumer spans whose event the feeds no longer held)\n` : ''}\n`);
    process.stdout.write(`  floor: what the checkouts' spans say they did, priced at bare node:http / node:sqlite (measured now)…\n`);
    // Each service in the step was asked ~lagRate times a second: the bare pair (and the hosting chain) are asked at that rate too.
    const askedRate = lagRate > 0 ? Math.max(5, Math.round(lagRate)) : undefined;
    const bare = await measureBareCosts({ durationS: duration, ...(askedRate === undefined ? {} : { paceRps: askedRate, pacedS: 2 * duration }) });
    const controlUrl = system.controlUrl;
    const ops = await countOperations(lagOrders.slice(0, 50), async (orderId) => {
      const res = await fetch(`${controlUrl}/api/orders/${encodeURIComponent(orderId)}`);
      if (!res.ok) throw new Error(`the launcher's /api/orders/${orderId} answered ${res.status}`);
      return ((await res.json()) as { spans: { name: string; kind: number; service: string }[] }).spans;
    }, lagServed === undefined ? undefined : { internal: lagServed, ...(lagGatewayServed === undefined ? {} : { gateway: lagGatewayServed }) });
    const floorMs = floorUs(ops, bare) / 1000;
    const paced = bare.paced;
    const pacedFloorMs = floorUs(ops, bare, 'paced') / 1000;
    const priced = (n: number, hotUs: number, pacedUs: number | undefined) => [n.toFixed(1), hotUs.toFixed(1), (n * hotUs).toFixed(0), inYard((n * hotUs) / 1000), ...(paced ? [(pacedUs ?? hotUs).toFixed(1), (n * (pacedUs ?? hotUs)).toFixed(0), inYard((n * (pacedUs ?? hotUs)) / 1000)] : [])];
    const times = (floor: number) => `×${(lagCpuMs / Math.max(floor, 1e-9)).toFixed(1)}`;
    process.stdout.write(`${formatTable(
      [`floor of a confirmed checkout (${ops.orders} checkouts' spans)`, 'per checkout', 'bare µs each, hot', 'µs', 'yardstick requests', ...(paced ? [`bare µs each, ${paced.rate}/s`, 'µs', 'yardstick requests'] : [])],
      [
        ['HTTP requests served', ...priced(ops.served, bare.serverUs, paced?.serverUs)],
        ['HTTP requests made', ...priced(ops.made, bare.clientUs, undefined)],
        ['SQLite statements', ...priced(ops.statements, bare.statementUs, undefined)],
        ['transactions (BEGIN … COMMIT)', ...priced(ops.transactions, bare.transactionUs, undefined)],
        ['floor', '', '', (floorMs * 1000).toFixed(0), inYard(floorMs), ...(paced ? ['', (pacedFloorMs * 1000).toFixed(0), inYard(pacedFloorMs)] : [])],
        [`measured at ${LAG_IN_FLIGHT} in flight, every process`, '', '', (lagCpuMs * 1000).toFixed(0), `${inYard(lagCpuMs)} (${times(floorMs)} the floor)`, ...(paced ? ['', '', `${times(pacedFloorMs)} the floor`] : [])],
      ],
    )}\n  (HTTP by the services' counters over the step, feed polls and cart calls included; statements and transactions by the order's spans, a lower bound; span exports, SMTP and DuckDB not priced${paced ? `; "${paced.rate}/s": the bare pair asked one request at a time at the rate each service was asked in the step, on average (${lagRate.toFixed(0)}/s), each request waking the server; requests made, statements and transactions at their hot price` : ''}; ${machineLoad()})\n\n`);
    // ADR 0096's census: which requests those were, route by route (the gateway's from its counters, or else its spans).
    const census = lagRoutes.filter((r) => r.perCheckout >= 0.05);
    if (census.length > 0) {
      process.stdout.write(`${formatTable(
        [`requests served per confirmed checkout, ${LAG_IN_FLIGHT} in flight (ADR 0096)`, 'per checkout'],
        [...(lagGatewayServed === undefined ? [['gateway (the checkout only, from its spans)', (ops.served - (lagServed ?? 0)).toFixed(2)]] : []), ...census.map((r) => [r.route, r.perCheckout.toFixed(2)]), ['all', ops.served.toFixed(2)]],
      )}\n  (the services' counters over the step, the gateway's too, every status; routes asked less than once in 20 checkouts left out)\n\n`);
    }
    // ADR 0096: what the same hops cost hosted otherwise, at the rate each service was asked in the step.
    const chainRate = askedRate ?? 50;
    process.stdout.write(`  hosting: a chain of ${COHOST_SERVERS} bare node:http servers, ${chainRate} requests a second, in processes, worker threads, one event loop…\n`);
    const hostings = await measureHostings({ servers: COHOST_SERVERS, rate: chainRate, seconds: 2 * duration, rounds: Number(process.env.BENCH_COHOST_ROUNDS ?? 1) });
    const loopUs = hostings.find((h) => h.hosting === 'loop')?.perRequestUs ?? Number.NaN;
    process.stdout.write(`${formatTable(
      [`hosting a chain of ${COHOST_SERVERS} bare servers, ${chainRate}/s (ADR 0096)`, 'CPU µs per request', 'per hop', '÷ one loop', 'as yardstick'],
      hostings.map((h) => [HOSTING_LABEL[h.hosting], h.perRequestUs.toFixed(0), (h.perRequestUs / COHOST_SERVERS).toFixed(0), `×${(h.perRequestUs / loopUs).toFixed(1)}`, inYard(h.perRequestUs / 1000)]),
    )}\n  (CPU of the servers' processes, every thread, ${hostings.every((h) => h.exact) ? "from the scheduler's count" : 'tick-sampled'}; ${machineLoad()})\n\n`);
    const ingestEvents = Number(process.env.BENCH_REPORTS_EVENTS ?? 2000);
    process.stdout.write(`  reports ingest: ${ingestEvents} events from a feed backlog…\n`);
    const ingest = await benchReportsIngest(ingestEvents);
    process.stdout.write(`  reports ingest: ${ingest.eventsPerS.toFixed(0)} events/s (${x(ingest.eventsPerS)}; ${machineLoad()})\n\n`);
    const rebuildEvents = Number(process.env.BENCH_REBUILD_EVENTS ?? 10_000);
    process.stdout.write(`  rebuild: the reports read model replays ${rebuildEvents.toLocaleString('en')} events while shoppers check out, ${REBUILD_IN_FLIGHT} in flight…\n`);
    const rebuild = await benchRebuild(system, { events: rebuildEvents, rounds: Number(process.env.BENCH_REBUILD_ROUNDS ?? 2), inFlight: REBUILD_IN_FLIGHT, quietCheckouts: 300, log: (line) => process.stdout.write(line) });
    process.stdout.write(`  rebuild: ${rebuild.eventsPerS.toFixed(0)} events/s replayed; checkout p99 ${rebuild.during.p99.toFixed(0)} ms during (${rebuild.during.n} checkouts) against ${rebuild.quiet.p99.toFixed(0)} ms quiet (${rebuild.quiet.n}): ×${rebuild.p99Ratio.toFixed(2)} (target ≤ 1.5; ${machineLoad()})\n\n`);
    const searchProducts = Number(process.env.BENCH_SEARCH_PRODUCTS ?? 100_000);
    const search = await benchSearch({ baseUrl: system.gatewayUrl, products: searchProducts });
    const seeded = search[0];
    const generated = search.find((f) => f !== seeded);
    const yardEnd = await measureYardstick({ connections, durationS: duration });
    process.stdout.write(`yardstick (first / last):        ${yard.rps.toFixed(0)} / ${yardEnd.rps.toFixed(0)} req/s (${yard.tool}; ${machineLoad()})${oldYard ? `; autocannon in process ${oldYard.rps.toFixed(0)}` : ''}\n`);
    process.stdout.write(`start-up (cold / warm):          ${(cold / 1000).toFixed(1)} s / ${(warm / 1000).toFixed(1)} s\n`);
    process.stdout.write(`the kit, ÷ yardstick:            one pass: /healthz ${x(healthz.rps)}, a product read ${x(direct.rps)}; interleaved (median of ${kit.rounds.length} rounds): /healthz ${pct(kit.healthzShare)}, a product read ${pct(kit.readShare)} (target ≥ 35 %)\n`);
    process.stdout.write(`gateway ÷ direct throughput:     ${(viaGateway.rps / direct.rps).toFixed(2)}\n`);
    if (edge.ratioToNginx !== undefined) process.stdout.write(`edge gateway ÷ nginx throughput: ${edge.ratioToNginx.toFixed(2)} (target ≥ 0.75)\n`);
    if (edge.cpuToNginx) process.stdout.write(`edge gateway ÷ nginx CPU:        ${edge.cpuToNginx.gateway.toFixed(2)}× per request (target ≤ 2.5×); a bare Node proxy ${edge.cpuToNginx.bare?.toFixed(2) ?? '–'}×\n`);
    process.stdout.write(`event lag p50 / p99:             ${lag.all.p50.toFixed(1)} / ${lag.all.p99.toFixed(1)} ms (outbox → consumer's effect, ${lag.all.n} events)\n`);
    process.stdout.write(`checkout p99 during a rebuild:   ×${rebuild.p99Ratio.toFixed(2)} of quiet (target ≤ 1.5)\n`);
    process.stdout.write(`hosting (ADR 0096), per request: ${hostings.map((h) => `${h.hosting} ×${(h.perRequestUs / loopUs).toFixed(1)}`).join(', ')} of one event loop (a chain of ${COHOST_SERVERS} at ${chainRate}/s)\n`);
    if (seeded) process.stdout.write(`search p99, seeded catalog:      ${seeded.p99.toFixed(1)} ms (through the gateway)\n`);
    if (generated) process.stdout.write(`search p99, ${searchProducts.toLocaleString('en')} products: ${generated.p99.toFixed(1)} ms (in process)\n`);

    await system.stop();
    system = undefined;
    await tracingSection();
}

try {
  if (process.argv.includes('--tracing')) await tracingSection();
  else await fullBench();
} finally {
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
}
