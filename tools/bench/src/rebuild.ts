/**
 * Checkout latency while a read model rebuilds (issue 14: "a rebuild of
 * 10,000 events leaves checkout p99 within 1.5× of its quiet value").
 *
 * Against the running system, its products restocked: checkouts fill the orders' and payments'
 * feeds until they hold `events` events; then, `rounds` times, a quiet
 * burst of checkouts (300: a p99 of a hundred is its second slowest), and a rebuild of the reports read model (emptied,
 * every feed replayed from position 0: POST /internal/reports/rebuild, as
 * the operator) with shoppers checking out until reports says it has caught
 * up. Only checkouts sent while the rebuild ran count as "during".
 */
import { until, type RunningSystem } from '../../launcher/src/harness.ts';
import { benchCheckout, quantile, shoppers, type CheckoutSample } from './checkout.ts';

export interface RebuildStatus {
  rebuilding: boolean;
  events: number;
  sources: Record<string, { position: number; feed: string }>;
}

export interface RebuildRound {
  /** Events in the feeds when the rebuild started (the sum of their last positions). */
  events: number;
  rebuildMs: number;
  quiet: CheckoutSample[];
  during: CheckoutSample[];
}

export interface LatencyFigures {
  n: number;
  p50: number;
  p99: number;
}

export interface RebuildFigures {
  rounds: RebuildRound[];
  quiet: LatencyFigures;
  during: LatencyFigures;
  /** p99 during a rebuild ÷ quiet p99 (target ≤ 1.5). */
  p99Ratio: number;
  eventsPerS: number;
}

export function latencies(samples: readonly CheckoutSample[]): LatencyFigures {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** The rounds pooled: every quiet checkout against every checkout sent during a rebuild. */
export function rebuildFigures(rounds: RebuildRound[]): RebuildFigures {
  const quiet = latencies(rounds.flatMap((r) => r.quiet));
  const during = latencies(rounds.flatMap((r) => r.during));
  const events = rounds.reduce((n, r) => n + r.events, 0);
  const ms = rounds.reduce((n, r) => n + r.rebuildMs, 0);
  return { rounds, quiet, during, p99Ratio: quiet.p99 > 0 ? during.p99 / quiet.p99 : Number.NaN, eventsPerS: ms > 0 ? (events * 1000) / ms : Number.NaN };
}

/**
 * Give every product the bench's shoppers buy (the first 50 of the catalog: checkout.ts) plenty of stock, as the
 * seeded admin: ten thousand events take five thousand checkouts, past the seed's stock, and a checkout refused for
 * stock is cancelled after one step instead of going through payment.
 */
async function restock(gatewayUrl: string): Promise<void> {
  const login = await fetch(`${gatewayUrl}/api/identity/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }) });
  const token = ((await login.json()) as { accessToken?: string }).accessToken;
  if (!token) throw new Error(`the bench could not log in as ${ADMIN.email} to restock (${login.status}): it needs the system's default admin`);
  const products = ((await (await fetch(`${gatewayUrl}/api/catalog/products?limit=50`)).json()) as { items: { id: string }[] }).items;
  for (const p of products) {
    const res = await fetch(`${gatewayUrl}/api/inventory/${p.id}`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ available: 1_000_000, reason: 'bench restock' }) });
    if (!res.ok) throw new Error(`restocking ${p.id} answered ${res.status}: ${await res.text()}`);
  }
}

/** The admin account identity ensures at start on its defaults (ADMIN_EMAIL, ADMIN_PASSWORD), which the bench's system keeps. */
const ADMIN = { email: 'admin@bazaar.local', password: 'bazaar-admin-password' };

export async function benchRebuild(system: RunningSystem, opts: { events: number; rounds: number; inFlight: number; quietCheckouts: number; log: (line: string) => void }): Promise<RebuildFigures> {
  await restock(system.gatewayUrl);
  const reports = await system.service('reports');
  const url = `${reports.url}/internal/reports/rebuild`;
  const status = async (): Promise<RebuildStatus> => {
    const res = await fetch(url, { headers: system.callAs('reports') });
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as RebuildStatus;
  };
  const inFeeds = (s: RebuildStatus) => Object.values(s.sources).reduce((n, f) => n + f.position, 0);
  // Reports has taken in what the feeds hold when its positions stop moving.
  const settled = () =>
    until('the reports read model to catch up with the feeds', 120_000, async () => {
      const a = inFeeds(await status());
      await new Promise((r) => setTimeout(r, 500));
      const b = await status();
      return !b.rebuilding && inFeeds(b) === a ? a : undefined;
    });

  let events = await settled();
  const fill = { count: 400, inFlight: 16 };
  // Shoppers for the fill, signed up again every four minutes: an access token lasts five.
  let fillers: { tokens: string[]; at: number } | undefined;
  while (events < opts.events) {
    if (!fillers || performance.now() - fillers.at > 240_000) fillers = { tokens: await shoppers(system.gatewayUrl, fill.inFlight), at: performance.now() };
    opts.log(`  rebuild: ${events.toLocaleString('en')} of ${opts.events.toLocaleString('en')} events in the orders and payments feeds; ${fill.count} more checkouts…\n`);
    await benchCheckout(system.gatewayUrl, fill.count, { inFlight: fill.inFlight, tokens: fillers.tokens });
    events = await settled();
  }

  const rounds: RebuildRound[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const quiet = (await benchCheckout(system.gatewayUrl, opts.quietCheckouts, { inFlight: opts.inFlight, keepSamples: true })).samples ?? [];
    const before = await settled();
    const tokens = await shoppers(system.gatewayUrl, opts.inFlight);
    let finishedAt: number | undefined;
    const requestedAt = performance.now();
    const res = await fetch(url, { method: 'POST', headers: system.callAs('reports') });
    if (res.status !== 202) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
    // Shoppers keep checking out until reports says the rebuild is over (asked every 100 ms).
    const watch = until('the reports rebuild to finish', 600_000, async () => {
      const s = await status();
      if (s.rebuilding) {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      }
      finishedAt = performance.now();
      return s;
    });
    let over = false;
    const load = benchCheckout(system.gatewayUrl, 1_000_000, { inFlight: opts.inFlight, tokens, keepSamples: true, stop: () => over });
    try {
      await watch;
    } finally {
      // Also when the wait gave up: the shoppers stop, and the error is the wait's.
      over = true;
    }
    const sent = (await load).samples ?? [];
    const end = finishedAt as number;
    const during = sent.filter((s) => s.at >= requestedAt && s.at <= end);
    rounds.push({ events: before, rebuildMs: end - requestedAt, quiet, during });
    const r = latencies(during);
    const confirmed = (samples: CheckoutSample[]) => samples.filter((c) => c.confirmed).length;
    opts.log(`  rebuild ${round}/${opts.rounds}: ${before.toLocaleString('en')} events in ${((end - requestedAt) / 1000).toFixed(1)} s; checkout p99 ${r.p99.toFixed(0)} ms during (${confirmed(during)}/${r.n} confirmed), ${latencies(quiet).p99.toFixed(0)} ms quiet (${confirmed(quiet)}/${quiet.length} confirmed)\n`);
  }
  return rebuildFigures(rounds);
}
