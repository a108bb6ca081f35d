/**
 * Open-loop checkout load: a checkout journey starts every 1/rate seconds
 * whatever the previous ones are doing (as real customers arrive), each by an
 * idle shopper: put an item in the cart, POST /api/checkout with an
 * Idempotency-Key (retried with the same key on 5xx or no answer), then poll
 * the order until it is final. Records what a client sees.
 *
 * With several gateway instances the client also plays the load balancer in
 * front of them (src/balancer.ts): round-robin, an instance that did not
 * answer left out for a while, and a request an instance has not answered
 * within a second also sent to another. Every request here is safe to send
 * twice: the cart PUT sets a quantity, checkout carries its Idempotency-Key,
 * the rest are reads.
 */
import { randomUUID } from 'node:crypto';
import { InstanceRing } from '@bazaar/kit';
import { createBalancer, type BalancerFigures, type CallInit } from './balancer.ts';
import { call, type Reply } from './http.ts';

/** Timeout of one status poll (the gateway's own budget for a read is 1.5 s). */
const POLL_TIMEOUT_MS = 2500;
/**
 * How long one gateway instance gets before the balancer also sends the request to another (src/balancer.ts).
 * A healthy gateway answers a status poll in milliseconds and a checkout within orders' 1.2 s wait for the saga;
 * a frozen one never does, and the customer's wait bound (the saga deadline + 2 s) leaves about this much.
 */
const HEDGE_AFTER_MS = 1000;

export const CARDS = { approves: '4242424242424242', declined: '4000000000000002' } as const;
const ADDRESS = { name: 'Chaos Shopper', line1: '1 Fault Street', city: 'Lyon', postalCode: '69001', country: 'FR' };

export interface Shopper {
  email: string;
  password: string;
  token: string;
  busy: boolean;
  /** Idempotency-Key → the order ids the system answered with (must be one). */
  keys: Map<string, Set<string>>;
}

export interface JourneyRecord {
  shopper: Shopper;
  key: string;
  orderId?: string;
  startedAt: number;
  /** When POST /api/checkout first answered with an order id (retries included). */
  acceptedAt?: number;
  /** The first final status the client saw, and when. */
  final?: { status: 'CONFIRMED' | 'CANCELLED'; at: number };
  gaveUp?: string;
  /** When a journey that gave up after its checkout began stopped waiting. */
  endedAt?: number;
}

export interface ClientFigures extends BalancerFigures {
  journeys: number;
  /** Arrivals dropped because every shopper was still busy. */
  skipped: number;
}

export interface LoadOptions {
  /** Every gateway instance (one in most runs). */
  gatewayUrls: readonly string[];
  rate: number;
  declinedShare: number;
  products: string[];
  shoppers: Shopper[];
  /** Give up polling a journey after this long (the checker still sees its order). */
  journeyTimeoutMs: number;
  random: () => number;
  /** The balancer's hedge delay (default HEDGE_AFTER_MS). */
  hedgeAfterMs?: number;
}

/** Register and log in `count` shoppers. */
export async function createShoppers(gatewayUrl: string, count: number, runId: string): Promise<Shopper[]> {
  const out: Shopper[] = [];
  for (let i = 0; i < count; i++) {
    const email = `chaos-${runId}-${i}@example.com`;
    const password = 'correct horse battery staple';
    let reg = await call(`${gatewayUrl}/api/identity/register`, { method: 'POST', body: { email, password, name: `Chaos ${i}` } }).catch(() => ({ status: 0, body: {} }));
    for (let tries = 0; (reg.status === 0 || reg.status >= 500) && tries < 20; tries++) {
      await new Promise((r) => setTimeout(r, 500));
      reg = await call(`${gatewayUrl}/api/identity/register`, { method: 'POST', body: { email, password, name: `Chaos ${i}` } }).catch(() => ({ status: 0, body: {} }));
    }
    if (reg.status !== 201 && reg.status !== 202 && reg.status !== 409) throw new Error(`registering ${email} answered ${reg.status}: ${JSON.stringify(reg.body)}`);
    out.push({ email, password, token: await login(gatewayUrl, email, password), busy: false, keys: new Map() });
  }
  return out;
}

/** Log in; the access token lives minutes (issue 13), so long runs log in again. */
export async function login(gatewayUrl: string, email: string, password: string): Promise<string> {
  const res = await call<{ accessToken?: string }>(`${gatewayUrl}/api/identity/login`, { method: 'POST', body: { email, password } });
  if (res.status !== 200 || !res.body.accessToken) throw new Error(`login of ${email} answered ${res.status}`);
  return res.body.accessToken;
}

/** Run the load until stop() is called; then wait for the journeys in flight. */
export function startLoad(opts: LoadOptions) {
  const figures: ClientFigures = { requests: 0, status5xx: 0, timeouts: 0, networkErrors: 0, hedges: 0, hedgesWon: 0, journeys: 0, skipped: 0 };
  const journeys: JourneyRecord[] = [];
  const running = new Set<Promise<void>>();
  let stopped = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // The client plays the load balancer in front of the gateway instances (src/balancer.ts).
  const gateways = createBalancer({ urls: opts.gatewayUrls, ring: new InstanceRing(opts.gatewayUrls.length, { ejectMs: 5000 }), hedgeAfterMs: opts.hedgeAfterMs ?? HEDGE_AFTER_MS, figures });
  const counted = <T>(path: string, init: CallInit) => gateways.send<T>(path, init);

  /** Log in again through whichever gateway is in rotation. */
  const relogin = (s: Shopper) => login(gateways.url(), s.email, s.password);

  /** Retry `attempt` while it answers 5xx/401/nothing, until `deadline`. */
  async function persist<R extends { status: number }>(deadline: number, s: Shopper, attempt: () => Promise<R | undefined>): Promise<R | undefined> {
    for (let tries = 0; Date.now() < deadline; tries++) {
      const res = await attempt();
      if (res && res.status === 401) {
        // Access tokens are short-lived: log in again (the gateway may itself be down, so this can fail too).
        try {
          s.token = await relogin(s);
        } catch {
          /* retried below */
        }
      } else if (res && res.status < 500 && res.status !== 429) return res;
      await sleep(Math.min(2000, 100 * 2 ** tries) * (0.5 + opts.random() / 2));
    }
    return undefined;
  }

  async function journey(s: Shopper): Promise<void> {
    const record: JourneyRecord = { shopper: s, key: randomUUID(), startedAt: Date.now() };
    const deadline = record.startedAt + opts.journeyTimeoutMs;
    journeys.push(record);
    figures.journeys++;
    const product = opts.products[Math.floor(opts.random() * opts.products.length)] as string;
    const put = await persist(deadline, s, () => counted(`/api/cart/items/${product}`, { method: 'PUT', body: { quantity: 1 }, token: s.token }));
    if (!put || put.status !== 200) {
      record.gaveUp = `cart answered ${put?.status ?? 'nothing'}`;
      return;
    }
    const card = opts.random() < opts.declinedShare ? CARDS.declined : CARDS.approves;
    const body = { shippingAddress: ADDRESS, card: { number: card, expMonth: 12, expYear: 2035, cvc: '123' } };
    s.keys.set(record.key, new Set());
    record.startedAt = Date.now();
    // The cart version the shopper saw (If-Match). When it changed meanwhile (a confirmed order's lines leaving
    // the cart, asynchronously), checkout answers 412 with the current cart: like a shopper who looks again, take it.
    let version = put.etag;
    let placed: Reply<{ orderId?: string; status?: string; cart?: { version?: string } }> | undefined;
    for (let looks = 0; ; looks++) {
      placed = await persist(deadline, s, () =>
        counted<{ orderId?: string; status?: string; cart?: { version?: string } }>('/api/checkout', {
          method: 'POST',
          body,
          token: s.token,
          headers: { 'idempotency-key': record.key, 'if-match': version },
          timeoutMs: 8000,
        }),
      );
      const current = placed?.status === 412 ? placed.body.cart?.version : undefined;
      if (current === undefined || looks >= 3) break;
      version = `"${current}"`;
    }
    if (!placed || (placed.status !== 201 && placed.status !== 202) || !placed.body.orderId) {
      record.endedAt = Date.now();
      record.gaveUp = `checkout answered ${placed?.status ?? 'nothing'} ${JSON.stringify(placed?.body ?? {}).slice(0, 200)}`;
      return;
    }
    const orderId = placed.body.orderId;
    record.orderId = orderId;
    record.acceptedAt = Date.now();
    s.keys.get(record.key)?.add(orderId);
    let status = placed.body.status;
    while (status !== 'CONFIRMED' && status !== 'CANCELLED') {
      if (Date.now() > deadline) {
        record.endedAt = Date.now();
        record.gaveUp = 'no final status within the journey timeout';
        return;
      }
      await sleep(200);
      // A poll is cheap and safe to repeat: a short timeout, and the balancer's hedge, move on to another gateway soon.
      const res = await counted<{ status?: string }>(`/api/orders/${orderId}`, { token: s.token, timeoutMs: POLL_TIMEOUT_MS });
      // The token ran out while polling: log in again once (retried on the next poll if that fails too).
      if (res?.status === 401) s.token = await relogin(s).catch(() => s.token);
      if (res?.status === 200) status = res.body.status;
    }
    record.final = { status, at: Date.now() };
  }

  const interval = 1000 / opts.rate;
  let next = Date.now();
  const tick = () => {
    if (stopped) return;
    const idle = opts.shoppers.filter((s) => !s.busy);
    if (idle.length === 0) figures.skipped++;
    else {
      const s = idle[Math.floor(opts.random() * idle.length)] as Shopper;
      s.busy = true;
      const run = journey(s)
        .catch(() => undefined)
        .finally(() => {
          s.busy = false;
          running.delete(run);
        });
      running.add(run);
    }
    next += interval;
    setTimeout(tick, Math.max(0, next - Date.now()));
  };
  tick();

  return {
    figures,
    journeys,
    async stop(): Promise<void> {
      stopped = true;
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
