/**
 * Checkout round trips through the gateway against the running system: each
 * iteration fills the cart and checks out (reserve → authorize → capture →
 * commit across four services), measuring the checkout request alone.
 */
export interface CheckoutFigures {
  checkouts: number;
  confirmed: number;
  p50: number;
  p99: number;
  /** Every checkout's latency (ms), when asked for. */
  times?: number[];
}

async function json<T>(url: string, init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
  return { status: res.status, body: (await res.json()) as T };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Run `count` sequential checkouts as a fresh user; returns latency figures of the checkout requests. */
export async function benchCheckout(gatewayUrl: string, count: number, opts: { keepTimes?: boolean } = {}): Promise<CheckoutFigures> {
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const password = 'correct horse battery staple';
  await json(`${gatewayUrl}/api/identity/register`, { method: 'POST', body: { email, password, name: 'Bench' } });
  const token = (await json<{ accessToken: string }>(`${gatewayUrl}/api/identity/login`, { method: 'POST', body: { email, password } })).body.accessToken;
  const products = (await json<{ items: { id: string }[] }>(`${gatewayUrl}/api/catalog/products?limit=50`)).body.items;
  const times: number[] = [];
  let confirmed = 0;
  for (let i = 0; i < count; i++) {
    const product = products[i % products.length];
    if (!product) throw new Error('no products');
    await json(`${gatewayUrl}/api/cart/items/${product.id}`, { method: 'PUT', token, body: { quantity: 1 } });
    const t0 = performance.now();
    const res = await json<{ status: string }>(`${gatewayUrl}/api/checkout`, {
      method: 'POST',
      token,
      headers: { 'idempotency-key': `bench-${i}-${Date.now()}` },
      body: { shippingAddress: { name: 'B', line1: '1 St', city: 'Lyon', postalCode: '69001', country: 'FR' }, card: { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123' } },
    });
    times.push(performance.now() - t0);
    if (res.body.status === 'CONFIRMED') confirmed += 1;
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { checkouts: count, confirmed, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), ...(opts.keepTimes ? { times } : {}) };
}
