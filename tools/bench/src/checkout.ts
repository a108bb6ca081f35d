/**
 * Checkout round trips through the gateway against the running system: each
 * iteration fills the cart and checks out (reserve → authorize → capture →
 * commit across four services), measuring the checkout request alone.
 * Closed loop: `inFlight` shoppers (each its own user and cart) check out
 * back to back, so the figures at 1, 4, 16 in flight show where the knee is.
 */
import { cpuDelta, cpuSnapshot, settle } from './proc.ts';

export interface CheckoutFigures {
  checkouts: number;
  confirmed: number;
  /**
   * Checkouts answered 412 CART_CHANGED (the previous order's lines left the cart meanwhile) and sent again with the
   * current version. Near 0 at 1 in flight since orders takes the lines out before answering CONFIRMED; what is left
   * comes from confirmations after a 202, or a cart too slow for orders' short bound (the event then clears it).
   */
  cartChanged: number;
  /**
   * How the checkouts that were not answered CONFIRMED were answered, by HTTP status and the order's status or the
   * error's code ("202 PENDING": the saga outlasted the checkout's wait and goes on; "503 UPSTREAM_UNAVAILABLE"…).
   */
  unconfirmed: Record<string, number>;
  /** Checkouts in flight at once (one per shopper). */
  inFlight: number;
  /** Wall time of the whole run, ms. */
  elapsedMs: number;
  /** Confirmed checkouts per second over the run. */
  confirmedPerS: number;
  p50: number;
  p99: number;
  /** Every checkout's latency (ms), when asked for. */
  times?: number[];
  /** Every checkout, when asked for: when it was sent (performance.now() of this process), its latency, its order. */
  samples?: CheckoutSample[];
}

export interface CheckoutSample {
  /** When the checkout request was sent, on this process's performance.now() clock (ms). */
  at: number;
  ms: number;
  orderId: string | undefined;
  confirmed: boolean;
}

export interface CheckoutOptions {
  /** Shoppers checking out at once, back to back (default 1). */
  inFlight?: number;
  keepTimes?: boolean;
  keepSamples?: boolean;
  /** Asked before each new checkout: true ends the run early (the count is then an upper bound). */
  stop?: () => boolean;
  /** Shoppers registered beforehand (shoppers()), one per lane: the run then starts with its first checkout. */
  tokens?: string[];
}

async function json<T>(url: string, init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T; etag: string }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  return { status: res.status, body: (await res.json()) as T, etag: res.headers.get('etag') ?? '' };
}

/**
 * The gateway's rate limits for a benchmarked system: none that a benchmark reaches. It measures the shop, not the
 * limits; its shoppers sign up and log in (the auth class: 60/min per address by default, which a sweep up to 64 in
 * flight passes), and its loads come from one address.
 */
export const BENCH_RATE_LIMITS = 'read=1000000000/min,write=1000000000/min,auth=1000000000/min';

/** The q-quantile of values sorted ascending (the value at index ⌊q·n⌋): every checkout figure of the bench uses it. */
export const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** The median of some values (the mean of the middle two when there is an even number): for figures taken in rounds. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

let shopperCount = 0;

/** Register and log in `n` fresh shoppers, one after another (registering hashes a password); returns their tokens. */
export async function shoppers(gatewayUrl: string, n: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) tokens.push(await shopper(gatewayUrl));
  return tokens;
}

/** Register and log in a fresh shopper; returns its token. */
async function shopper(gatewayUrl: string): Promise<string> {
  const email = `bench-${process.pid}-${Date.now()}-${shopperCount++}@example.com`;
  const password = 'correct horse battery staple';
  // Like any client on a busy machine: ask again (a few times) when the gateway timed out or the service was busy.
  const retried = async <T>(call: () => Promise<{ status: number; body: T }>) => {
    let res = await call();
    for (let attempt = 2; attempt <= 3 && (res.status >= 500 || res.status === 429); attempt++) res = await call();
    return res;
  };
  const registered = await retried(() => json(`${gatewayUrl}/api/identity/register`, { method: 'POST', body: { email, password, name: 'Bench' } }));
  if (registered.status !== 202 && registered.status !== 201) throw new Error(`bench shopper could not register (${registered.status})`);
  const login = await retried(() => json<{ accessToken?: string }>(`${gatewayUrl}/api/identity/login`, { method: 'POST', body: { email, password } }));
  if (!login.body.accessToken) throw new Error(`bench shopper could not log in (${login.status})`);
  return login.body.accessToken;
}

/** A checkout's answer in a few words: its HTTP status and the order's status, or the error's code. */
export function outcome(status: number, body: { status?: unknown; code?: unknown } | null | undefined): string {
  const word = typeof body?.status === 'string' ? body.status : typeof body?.code === 'string' ? body.code : '';
  return word === '' ? String(status) : `${status} ${word}`;
}

function tally(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** What the sweep's "confirmed" column adds after the count: the 412s sent again and the answers that were not CONFIRMED. */
export function describeAnswers(figures: Pick<CheckoutFigures, 'cartChanged' | 'unconfirmed'>): string {
  const parts = Object.entries(figures.unconfirmed)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([what, n]) => `${n} × ${what}`);
  if (figures.cartChanged > 0) parts.unshift(`${figures.cartChanged} × 412 sent again`);
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

/**
 * Run `count` checkouts with `inFlight` shoppers checking out back to back
 * (default 1: sequential); returns latency and throughput of the checkout
 * requests (cart filling excluded from the latencies, included in the wall time).
 */
export async function benchCheckout(gatewayUrl: string, count: number, opts: CheckoutOptions = {}): Promise<CheckoutFigures> {
  const inFlight = opts.inFlight ?? 1;
  const products = (await json<{ items: { id: string }[] }>(`${gatewayUrl}/api/catalog/products?limit=50`)).body.items;
  if (products.length === 0) throw new Error('no products');
  // One after another: registering hashes a password, and 16 at once time out on a busy machine.
  const tokens = opts.tokens ?? (await shoppers(gatewayUrl, inFlight));
  const times: number[] = [];
  const samples: CheckoutSample[] = [];
  let confirmed = 0;
  let begun = 0;
  let cartChanged = 0;
  const unconfirmed: Record<string, number> = {};
  let next = 0;
  const t0 = performance.now();
  async function loop(token: string, lane: number): Promise<void> {
    for (let i = next++; i < count && !opts.stop?.(); i = next++) {
      begun += 1;
      const product = products[(i * 7 + lane) % products.length] as { id: string };
      // The cart version the shopper saw: checkout requires it as If-Match.
      let { etag } = await json(`${gatewayUrl}/api/cart/items/${product.id}`, { method: 'PUT', token, body: { quantity: 1 } });
      const key = `bench-${process.pid}-${lane}-${i}-${Date.now()}`;
      // The previous order's lines usually left the cart before its CONFIRMED answer (orders tells the cart);
      // when they leave later, by the event (a 202, or a cart slower than orders' bound), landing between the
      // write and the checkout, checkout answers 412 with the current cart, and the shopper checks that out
      // (as a client showing the cart again would). Still legal, still counted. Only the checkout that places the order is timed.
      for (let look = 0; ; look++) {
        const started = performance.now();
        const res = await json<{ status?: string; orderId?: string; code?: string; cart?: { version?: string } }>(`${gatewayUrl}/api/checkout`, {
          method: 'POST',
          token,
          headers: { 'idempotency-key': key, 'if-match': etag },
          body: { shippingAddress: { name: 'B', line1: '1 St', city: 'Lyon', postalCode: '69001', country: 'FR' }, card: { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123' } },
        });
        const current = res.status === 412 ? res.body.cart?.version : undefined;
        if (current !== undefined && look < 3) {
          cartChanged += 1;
          etag = `"${current}"`;
          continue;
        }
        times.push(performance.now() - started);
        if (res.body.status === 'CONFIRMED') confirmed += 1;
        else tally(unconfirmed, outcome(res.status, res.body));
        if (opts.keepSamples) samples.push({ at: started, ms: performance.now() - started, orderId: res.body.orderId, confirmed: res.body.status === 'CONFIRMED' });
        break;
      }
    }
  }
  await Promise.all(tokens.map((token, lane) => loop(token, lane)));
  const elapsedMs = performance.now() - t0;
  const sorted = [...times].sort((a, b) => a - b);
  return {
    checkouts: begun,
    confirmed,
    cartChanged,
    unconfirmed,
    inFlight,
    elapsedMs,
    confirmedPerS: (confirmed * 1000) / elapsedMs,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    ...(opts.keepTimes ? { times } : {}),
    ...(opts.keepSamples ? { samples } : {}),
  };
}

/** What checkoutsWithCpu calls, replaceable in its tests. */
export interface CheckoutIo {
  shoppers: (gatewayUrl: string, n: number) => Promise<string[]>;
  checkouts: (gatewayUrl: string, count: number, opts: CheckoutOptions) => Promise<CheckoutFigures>;
  cpu: (processes: { name: string; pid: number | undefined }[]) => Map<string, number>;
  /** Resolves once the processes have done the checkouts' work that follows the answers (consumers, mail, spans). */
  drain: (processes: { name: string; pid: number | undefined }[]) => Promise<void>;
}

const realIo: CheckoutIo = {
  shoppers,
  checkouts: benchCheckout,
  cpu: cpuSnapshot,
  drain: async (processes) => {
    await new Promise((r) => setTimeout(r, 1000));
    await settle(processes, { maxMs: 10_000, windowMs: 500 });
  },
};

/**
 * `count` checkouts and the CPU (ms) each process used for them. The shoppers
 * sign up and log in before the measured window opens: hashing a password is
 * a sign-up's cost, identity's, not a checkout's (counted in, it was most of
 * the 16 and 64 in-flight figures: identity 23 and 35 ms per checkout). The
 * window stays open after the last answer until the processes settle (1 s,
 * then until they use under 30 % of a core), for the read models and
 * notifications to take the checkouts' events in: not a fixed 2 s, whose idle
 * CPU (timers, probes, long polls: ~15 % of a core) was ~7 ms of each of 40
 * checkouts.
 */
export async function checkoutsWithCpu(
  gatewayUrl: string,
  count: number,
  opts: CheckoutOptions & { processes: { name: string; pid: number | undefined }[] },
  io: CheckoutIo = realIo,
): Promise<{ figures: CheckoutFigures; cpuMs: Map<string, number> }> {
  const { processes, ...run } = opts;
  const tokens = run.tokens ?? (await io.shoppers(gatewayUrl, run.inFlight ?? 1));
  const before = io.cpu(processes);
  const figures = await io.checkouts(gatewayUrl, count, { ...run, tokens });
  await io.drain(processes);
  return { figures, cpuMs: cpuDelta(before, io.cpu(processes)) };
}
