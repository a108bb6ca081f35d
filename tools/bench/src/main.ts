/**
 * `npm run bench`: starts the real system (launcher, one process per
 * service) on a private port range, then prints
 *   - start-up time, cold (empty data dir: migrations + catalog seed) and warm;
 *   - req/s, p50 and p99 for catalog reads, direct and through the gateway,
 *     measured in one run with the same load so the ratio is meaningful;
 *   - the same for the storefront's home, category, product and search pages.
 * Figures, not assertions: machines are shared and noisy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startSystem, type RunningSystem } from '../../launcher/src/harness.ts';
import { formatTable } from '../../launcher/src/table.ts';
import { benchCheckout } from './checkout.ts';
import { benchGateway } from './gateway.ts';
import { benchSearch } from './search.ts';
import { benchTracing, type TracingFigures } from './tracing.ts';

const duration = Number(process.env.BENCH_DURATION_S ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const portBase = Number(process.env.BENCH_PORT_BASE ?? 26000);

interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(name: string, url: string): Promise<Figures> {
  process.stdout.write(`  load: ${name} (${connections} connections, ${duration} s)…\n`);
  const result = await autocannon({ url, connections, duration });
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const work = mkdtempSync(join(tmpdir(), 'bazaar-bench-'));
// Limits far above the load: the bench measures speed, not the rate limiter's verdicts.
const opts = { portBase, dataDir: join(work, 'data'), logDir: join(work, 'logs'), env: { LOG_LEVEL: 'warn', RATE_LIMITS: 'read=1000000000/min,write=1000000000/min' } };
let system: RunningSystem | undefined;
try {
  process.stdout.write(`Bazaar benchmark — Node ${process.version}, ${connections} connections, ${duration} s per load\n\n`);
  let t0 = Date.now();
  system = await startSystem(opts);
  const cold = Date.now() - t0;
  await system.stop();
  t0 = Date.now();
  system = await startSystem(opts);
  const warm = Date.now() - t0;
  process.stdout.write(`  start-up: cold ${cold} ms (migrations + seed), warm ${warm} ms\n`);

  const catalog = await system.service('catalog');
  const page = (await (await fetch(`${system.gatewayUrl}/api/catalog/products?limit=1`)).json()) as { items: { id: string }[] };
  const id = page.items[0]?.id;
  if (!id) throw new Error('the catalog returned no product');
  const results = [
    await load('product by id — direct to catalog', `${catalog.url}/api/catalog/products/${id}`),
    await load('product by id — through gateway', `${system.gatewayUrl}/api/catalog/products/${id}`),
    await load('product page (20) — through gateway', `${system.gatewayUrl}/api/catalog/products?limit=20`),
    // Server-rendered storefront pages (HTML, through the gateway, as a browser asks for them).
    await load('storefront: home page', `${system.gatewayUrl}/`),
    await load('storefront: category page', `${system.gatewayUrl}/c/audio`),
    await load('storefront: product page', `${system.gatewayUrl}/p/${id}`),
    await load('storefront: search page (typo)', `${system.gatewayUrl}/search?q=headphnes`),
  ];
  const [direct, viaGateway] = results as [Figures, Figures, Figures];
  process.stdout.write(`\n${formatTable(
    ['load', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
    results.map((r) => [r.name, r.rps.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), String(r.errors)]),
  )}\n\n`);
  const edge = await benchGateway(system, { connections, durationS: duration });
  const checkoutCount = Number(process.env.BENCH_CHECKOUTS ?? 100);
  process.stdout.write(`  checkout: ${checkoutCount} sequential checkouts through the gateway…\n`);
  const co = await benchCheckout(system.gatewayUrl, checkoutCount);
  process.stdout.write(`\n${formatTable(
    ['checkout (saga across 4 services)', 'count', 'confirmed', 'p50 ms', 'p99 ms'],
    [['POST /api/checkout → 201 CONFIRMED', String(co.checkouts), String(co.confirmed), co.p50.toFixed(1), co.p99.toFixed(1)]],
  )}\n\n`);
  const searchProducts = Number(process.env.BENCH_SEARCH_PRODUCTS ?? 100_000);
  const search = await benchSearch({ baseUrl: system.gatewayUrl, products: searchProducts });
  const seeded = search[0];
  const generated = search.find((f) => f !== seeded);
  process.stdout.write(`start-up (cold / warm):          ${(cold / 1000).toFixed(1)} s / ${(warm / 1000).toFixed(1)} s\n`);
  process.stdout.write(`gateway ÷ direct throughput:     ${(viaGateway.rps / direct.rps).toFixed(2)}\n`);
  if (edge.ratioToNginx !== undefined) process.stdout.write(`edge gateway ÷ nginx throughput: ${edge.ratioToNginx.toFixed(2)} (target ≥ 0.75)\n`);
  if (seeded) process.stdout.write(`search p99, seeded catalog:      ${seeded.p99.toFixed(1)} ms (through the gateway)\n`);
  if (generated) process.stdout.write(`search p99, ${searchProducts.toLocaleString('en')} products: ${generated.p99.toFixed(1)} ms (in process)\n`);

  await system.stop();
  system = undefined;
  const tracing = await benchTracing({ start: opts, shoppers: Number(process.env.BENCH_TRACING_SHOPPERS ?? 4), perShopper: Number(process.env.BENCH_TRACING_CHECKOUTS ?? 25) });
  process.stdout.write(`\n${formatTable(
    ['checkout load, tracing', 'confirmed', 'checkouts/s', 'p99 ms'],
    tracing.map((t) => [t.mode === 'off' ? 'off (OTEL_SDK_DISABLED=true)' : 'on (every span, to the launcher)', String(t.checkouts), t.perSecond.toFixed(1), t.p99.toFixed(1)]),
  )}\n`);
  const [off, on] = tracing as [TracingFigures, TracingFigures];
  process.stdout.write(`tracing cost: throughput ${(100 * (1 - on.perSecond / off.perSecond)).toFixed(1)} %, p99 ${(100 * (on.p99 / off.p99 - 1)).toFixed(1)} % (target ≤ 10 %)\n`);
} finally {
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
}
