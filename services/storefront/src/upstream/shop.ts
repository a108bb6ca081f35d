/**
 * The shop API as the storefront uses it: every call goes through the
 * GATEWAY, as the shopper (their access token) or anonymously, so the
 * gateway's authentication, access rules and per-user rate limits apply to
 * the storefront exactly as to any other client.
 *
 * This is the one module that knows paths and reply shapes of other
 * services; each function is typed with the contract's schemas and the kit's
 * client validates every reply against them.
 */
import { createServiceClient, UpstreamError, type ServiceClient } from '@bazaar/kit';
import { Cart } from '@bazaar/contracts/cart';
import { CategoryList, Product, ProductPage, type CreateProductRequest, type UpdateProductRequest } from '@bazaar/contracts/catalog';
import { Me, TokenPair, PublicUser } from '@bazaar/contracts/identity';
import { StockLevel } from '@bazaar/contracts/inventory';
import { CheckoutResponse, Order, OrderList, type CheckoutRequest } from '@bazaar/contracts/orders';
import { SalesReport } from '@bazaar/contracts/reports';
import { SearchResult, type SearchQuery } from '@bazaar/contracts/search';

export type { Cart } from '@bazaar/contracts/cart';
export type { Category, Product, ProductPage } from '@bazaar/contracts/catalog';
export type { Me, TokenPair } from '@bazaar/contracts/identity';
export type { Order, CheckoutRequest, ShippingAddress } from '@bazaar/contracts/orders';
export type { SalesReport } from '@bazaar/contracts/reports';
export type { SearchHit, SearchResult } from '@bazaar/contracts/search';

/** Whose call this is: an access token, or nobody (public reads). */
export type Caller = { token: string } | undefined;

const bearer = (caller: Caller): Record<string, string> => (caller ? { authorization: `Bearer ${caller.token}` } : {});
const id = (value: string): string => encodeURIComponent(value);

/** The error an upstream answered with: its HTTP status and stable code, when it answered at all. */
export function upstreamFailure(error: unknown): { status: number; code: string | undefined; detail: string | undefined } | undefined {
  if (!(error instanceof UpstreamError)) return undefined;
  return { status: error.upstreamStatus, code: typeof error.problem?.code === 'string' ? error.problem.code : undefined, detail: typeof error.problem?.detail === 'string' ? error.problem.detail : undefined };
}

/** The typed shop API. */
export function shopApi(client: ServiceClient) {
  return {
    client,
    categories: async () => (await client.call({ method: 'GET', path: '/api/catalog/categories', response: CategoryList })).body.items,
    products: async (q: { category?: string | undefined; limit?: number; cursor?: string | undefined }) =>
      (await client.call({ method: 'GET', path: '/api/catalog/products', query: { category: q.category, limit: q.limit, cursor: q.cursor }, response: ProductPage })).body,
    product: async (productId: string) => (await client.call({ method: 'GET', path: `/api/catalog/products/${id(productId)}`, response: Product })).body,
    stock: async (productId: string) => (await client.call({ method: 'GET', path: `/api/inventory/${id(productId)}`, response: StockLevel })).body,
    search: async (q: SearchQuery) =>
      (
        await client.call({
          method: 'GET',
          path: '/api/search',
          query: { q: q.q, category: q.category, minPrice: q.minPrice, maxPrice: q.maxPrice, inStock: q.inStock === undefined ? undefined : String(q.inStock), limit: q.limit, cursor: q.cursor },
          response: SearchResult,
        })
      ).body,

    register: async (body: { email: string; password: string; name: string }) =>
      (await client.call({ method: 'POST', path: '/api/identity/register', body, response: PublicUser })).body,
    login: async (body: { email: string; password: string }) => (await client.call({ method: 'POST', path: '/api/identity/login', body, response: TokenPair })).body,
    refresh: async (refreshToken: string) => (await client.call({ method: 'POST', path: '/api/identity/refresh', body: { refreshToken }, response: TokenPair })).body,
    me: async (caller: Caller) => (await client.call({ method: 'GET', path: '/api/identity/me', headers: bearer(caller), response: Me })).body,

    cart: async (caller: Caller) => (await client.call({ method: 'GET', path: '/api/cart', headers: bearer(caller), response: Cart })).body,
    setQuantity: async (caller: Caller, productId: string, quantity: number) =>
      (await client.call({ method: 'PUT', path: `/api/cart/items/${id(productId)}`, body: { quantity }, headers: bearer(caller), response: Cart })).body,
    removeItem: async (caller: Caller, productId: string) =>
      (await client.call({ method: 'DELETE', path: `/api/cart/items/${id(productId)}`, headers: bearer(caller), response: Cart })).body,

    /** 201 with a final status or 202 PENDING; the key makes a double submit one order. */
    checkout: async (caller: Caller, key: string, body: CheckoutRequest) =>
      (
        await client.call({
          method: 'POST',
          path: '/api/checkout',
          body,
          headers: { ...bearer(caller), 'idempotency-key': key },
          response: CheckoutResponse,
          // A checkout may wait for the saga: give it longer than a page read.
          timeoutMs: 10_000,
        })
      ).body,
    orders: async (caller: Caller) => (await client.call({ method: 'GET', path: '/api/orders', headers: bearer(caller), response: OrderList })).body.items,
    order: async (caller: Caller, orderId: string) => (await client.call({ method: 'GET', path: `/api/orders/${id(orderId)}`, headers: bearer(caller), response: Order })).body,

    createProduct: async (caller: Caller, body: CreateProductRequest) =>
      (await client.call({ method: 'POST', path: '/api/catalog/products', body, headers: bearer(caller), response: Product })).body,
    updateProduct: async (caller: Caller, productId: string, body: UpdateProductRequest) =>
      (await client.call({ method: 'PATCH', path: `/api/catalog/products/${id(productId)}`, body, headers: bearer(caller), response: Product })).body,
    setStock: async (caller: Caller, productId: string, available: number) =>
      (await client.call({ method: 'PUT', path: `/api/inventory/${id(productId)}`, body: { available }, headers: bearer(caller), response: StockLevel })).body,
    sales: async (caller: Caller, q: { from?: string | undefined; to?: string | undefined; top?: number }) =>
      (await client.call({ method: 'GET', path: '/api/reports/sales', query: { from: q.from, to: q.to, top: q.top }, headers: bearer(caller), response: SalesReport })).body,
  };
}

export type ShopApi = ReturnType<typeof shopApi>;

/** A client for the gateway; several comma-separated gateway URLs are spread over. */
export function gatewayClient(gatewayUrl: string): ServiceClient {
  return createServiceClient({ name: 'gateway', baseUrl: gatewayUrl, timeoutMs: 5000, retries: 1 });
}
