import { AppError, UpstreamError, commonErrors, createServiceClient, type ServiceClient, type ServiceCredentials } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/catalog';
import type { ProductLookup } from '../domain/cart.ts';

/** Codes of the kit client's errors that mean "the catalog cannot answer right now". */
const UNAVAILABLE = new Set(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT']);

/**
 * Products from the catalog over HTTP, all of a cart's in one call (POST
 * /internal/catalog/products/lookup, service credential), through the kit's
 * client: per-attempt timeout, one retry, a breaker. Ids the catalog does not
 * know are absent from the answer; a catalog that is down, slow or failing is
 * 503 UPSTREAM_UNAVAILABLE, never a 500.
 */
export function catalogProducts(opts: { baseUrl: string; credentials: ServiceCredentials; timeoutMs: number }): ProductLookup & { close(): Promise<void> } {
  const client: ServiceClient = createServiceClient({ name: 'catalog', baseUrl: opts.baseUrl, credentials: opts.credentials, timeoutMs: opts.timeoutMs, retries: 1 });
  return {
    async findMany(productIds) {
      try {
        const ids = [...new Set(productIds)];
        const res = await client.call(routes.lookupProducts, { body: { ids } });
        // Only the products asked for count.
        const wanted = new Set(ids);
        return new Map(res.body.items.filter((p) => wanted.has(p.id)).map((p) => [p.id, p]));
      } catch (error) {
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
