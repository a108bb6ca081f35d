import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { Product } from '@bazaar/contracts/catalog';
import { SERVICE_CREDENTIAL_HEADER, createAuthenticator, type ServiceApp } from '@bazaar/kit';
import { callAs, createTestKeys, testLogger, testCredentials } from '@bazaar/kit/testing';
import { buildApp } from '../src/app.ts';
import { openCartDatabase, type CartDatabase, type RedisCartStore } from '../src/store/index.ts';
import { catalogProducts } from '../src/upstream/catalog.ts';

/** Contract-shaped products, prices in integer cents. */
export const products: Record<'lamp' | 'mug' | 'chair' | 'pen', Product> = {
  lamp: { id: 'p-lamp', sku: 'LAMP-0001', name: 'Desk Lamp', description: 'Warm light.', category: 'home-kitchen', price: { amount: 2599, currency: 'EUR' } },
  mug: { id: 'p-mug', sku: 'MUG-0001', name: 'Coffee Mug', description: 'Holds coffee.', category: 'home-kitchen', price: { amount: 899, currency: 'EUR' } },
  chair: { id: 'p-chair', sku: 'CHAIR-0001', name: 'Office Chair', description: 'Sit.', category: 'home-kitchen', price: { amount: 14999, currency: 'EUR' } },
  pen: { id: 'p-pen', sku: 'PEN-0001', name: 'Fountain Pen', description: 'Writes.', category: 'books', price: { amount: 1, currency: 'EUR' } },
};

export interface CatalogStandIn {
  url: string;
  /** What the stand-in serves; change it to add, reprice or delete products. */
  products: Map<string, Product>;
  /** Product ids requested, in arrival order. */
  requested: string[];
  /** Lookup calls received (one per pricing of a cart). */
  lookups: number;
  /** Most requests in flight at once. */
  maxInFlight: number;
  /** Delay before each answer (ms), to observe concurrency. */
  delayMs: number;
  /** When true, requests are accepted and never answered (a hung catalog). */
  hang: boolean;
  close(): Promise<void>;
}

/**
 * A real HTTP server standing in for the catalog: POST
 * /internal/catalog/products/lookup (with the service credential) answers the
 * products it has among the ids asked (checked against the contract).
 */
export async function startCatalogStandIn(initial: Product[] = Object.values(products)): Promise<CatalogStandIn> {
  for (const p of initial) assert.ok(Value.Check(Product, p), `fixture ${p.id} matches the catalog contract`);
  let inFlight = 0;
  const state = {
    url: '',
    products: new Map(initial.map((p) => [p.id, p])),
    requested: [] as string[],
    lookups: 0,
    maxInFlight: 0,
    delayMs: 0,
    hang: false,
    close: async () => undefined as void,
  };
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/internal/catalog/products/lookup' || req.headers[SERVICE_CREDENTIAL_HEADER] !== callAs('catalog', 'cart')[SERVICE_CREDENTIAL_HEADER]) {
      res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'about:blank', title: 'No such route', status: 404, code: 'ROUTE_NOT_FOUND' }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.hang) return;
      const { ids } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ids: string[] };
      state.lookups += 1;
      if (ids.length === 0) {
        // As the catalog's contract says (minItems 1): an empty lookup is a bad request.
        res.writeHead(400, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ code: 'VALIDATION_FAILED', status: 400, title: 'Bad request', detail: 'ids: at least 1 item' }));
        return;
      }
      state.requested.push(...ids);
      inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        const items = ids.flatMap((id) => state.products.get(id) ?? []);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items }));
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export interface TestCart {
  app: ServiceApp;
  store: CartDatabase;
  /** A customer's access token, signed like identity's. */
  token(userId: string): Promise<string>;
  close(): Promise<void>;
}

/** A cart app over an in-memory store (or the given one; carts in `redis` when given), pricing from `catalogUrl`. */
export async function startCart(opts: { catalogUrl: string; store?: CartDatabase; redis?: RedisCartStore; catalogTimeoutMs?: number }): Promise<TestCart> {
  const store = opts.store ?? (await openCartDatabase({ dataDir: '', inMemory: true }));
  const keys = await createTestKeys();
  // Generous by default: a busy machine must not make a lookup a 503.
  const catalog = catalogProducts({ baseUrl: opts.catalogUrl, credentials: testCredentials('cart'), timeoutMs: opts.catalogTimeoutMs ?? 5000 });
  const redis = opts.redis;
  const app = buildApp({
    store,
    products: catalog,
    logger: testLogger(),
    auth: createAuthenticator(keys.keys),
    currency: 'EUR',
    credentials: testCredentials('cart'),
    defaultMetrics: false,
    ...(redis ? { cartStore: redis, readiness: { redis: () => redis.ping() } } : {}),
  });
  return {
    app,
    store,
    token: (userId) => keys.sign({ sub: userId, roles: ['customer'] }),
    async close() {
      await app.close();
      await catalog.close();
      await store.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
