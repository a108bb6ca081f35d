import { AppError, UpstreamError, commonErrors, createServiceClient, type ServiceClient } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/catalog';
import type { ProductLookup } from '../domain/cart.ts';

/** Codes of the kit client's errors that mean "the catalog cannot answer right now". */
const UNAVAILABLE = new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT']);

/**
 * Products from the catalog over HTTP (GET /api/catalog/products/:id), through
 * the kit's client: per-attempt timeout, one retry, a breaker. A product the
 * catalog does not know is `undefined`; a catalog that is down, slow or
 * failing is 503 UPSTREAM_UNAVAILABLE, never a 500.
 */
export function catalogProducts(opts: { baseUrl: string; timeoutMs: number }): ProductLookup & { close(): Promise<void> } {
  const client: ServiceClient = createServiceClient({ name: 'catalog', baseUrl: opts.baseUrl, timeoutMs: opts.timeoutMs, retries: 1 });
  return {
    async find(productId) {
      try {
        const res = await client.call(routes.getProduct, { params: { id: productId } });
        // Only the product asked for counts (an id like ".." must not resolve to some other resource).
        return res.body.id === productId ? res.body : undefined;
      } catch (error) {
        if (error instanceof UpstreamError && error.upstreamStatus === 404) return undefined;
        if (error instanceof UpstreamError && error.upstreamStatus >= 500) throw unavailable();
        if (error instanceof AppError && UNAVAILABLE.has(error.code)) throw unavailable();
        throw error;
      }
    },
    close: () => client.close(),
  };
}

const unavailable = () =>
  commonErrors.UPSTREAM_UNAVAILABLE('The catalog cannot be reached, so the cart cannot be priced right now; try again in a few seconds.');
