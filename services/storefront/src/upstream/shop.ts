/**
 * The shop API as the storefront uses it: every call goes through the
 * GATEWAY, as the shopper (their access token) or anonymously, so the
 * gateway's authentication, access rules and per-user rate limits apply to
 * the storefront exactly as to any other client.
 *
 * Each call names a public route descriptor of @bazaar/contracts
 * (docs/adr/0010-route-descriptors.md): the kit's client takes the path and
 * method from it, types the input and checks every reply against it.
 */
import { createServiceClient, UpstreamError, type ServiceClient } from '@bazaar/kit';
import { cart, catalog, identity, inventory, orders, reports, search } from '@bazaar/contracts';
import type { CheckoutRequest } from '@bazaar/contracts/orders';
import type { CreateProductRequest, UpdateProductRequest } from '@bazaar/contracts/catalog';
import type { SearchQuery } from '@bazaar/contracts/search';

export type { Cart } from '@bazaar/contracts/cart';
export type { Category, Product, ProductPage } from '@bazaar/contracts/catalog';
export type { Me, TokenPair } from '@bazaar/contracts/identity';
export type { Order, CheckoutRequest, ShippingAddress } from '@bazaar/contracts/orders';
export type { SalesReport } from '@bazaar/contracts/reports';
export type { SearchHit, SearchResult } from '@bazaar/contracts/search';

/** Whose call this is: an access token, or nobody (public reads). */
export type Caller = { token: string } | undefined;

const as = (caller: Caller) => ({ headers: caller ? { authorization: `Bearer ${caller.token}` } : {} });

/** The error an upstream answered with: its HTTP status and stable code, when it answered at all. */
export function upstreamFailure(error: unknown): { status: number; code: string | undefined; detail: string | undefined } | undefined {
  if (!(error instanceof UpstreamError)) return undefined;
  return { status: error.upstreamStatus, code: typeof error.problem?.code === 'string' ? error.problem.code : undefined, detail: typeof error.problem?.detail === 'string' ? error.problem.detail : undefined };
}

/** The typed shop API: the services' public route descriptors, called through the gateway. */
export function shopApi(client: ServiceClient) {
  return {
    client,
    categories: async () => (await client.call(catalog.routes.listCategories, {})).body.items,
    product: async (id: string) => (await client.call(catalog.routes.getProduct, { params: { id } })).body,
    stock: async (productId: string) => (await client.call(inventory.routes.stockLevel, { params: { productId } })).body,
    search: async (query: SearchQuery) => (await client.call(search.routes.search, { query })).body,

    register: async (body: { email: string; password: string; name: string }) => (await client.call(identity.routes.register, { body })).body,
    login: async (body: { email: string; password: string }) => (await client.call(identity.routes.login, { body })).body,
    refresh: async (refreshToken: string) => (await client.call(identity.routes.refresh, { body: { refreshToken } })).body,
    me: async (caller: Caller) => (await client.call(identity.routes.me, {}, as(caller))).body,

    cart: async (caller: Caller) => (await client.call(cart.routes.getCart, {}, as(caller))).body,
    setQuantity: async (caller: Caller, productId: string, quantity: number) =>
      (await client.call(cart.routes.setQuantity, { params: { productId }, body: { quantity } }, as(caller))).body,
    removeItem: async (caller: Caller, productId: string) => (await client.call(cart.routes.removeItem, { params: { productId } }, as(caller))).body,

    /** 201 with a final status or 202 PENDING; the key makes a double submit one order. */
    checkout: async (caller: Caller, key: string, body: CheckoutRequest) =>
      // A checkout may wait for the saga: longer than a page read. Retried by the caller only, with the same key.
      (await client.call(orders.routes.checkout, { headers: { 'idempotency-key': key }, body }, { ...as(caller), timeoutMs: 10_000 })).body,
    orders: async (caller: Caller) => (await client.call(orders.routes.listOrders, {}, as(caller))).body.items,
    order: async (caller: Caller, id: string) => (await client.call(orders.routes.getOrder, { params: { id } }, as(caller))).body,

    createProduct: async (caller: Caller, body: CreateProductRequest) => (await client.call(catalog.routes.createProduct, { body }, as(caller))).body,
    updateProduct: async (caller: Caller, id: string, body: UpdateProductRequest) => (await client.call(catalog.routes.updateProduct, { params: { id }, body }, as(caller))).body,
    setStock: async (caller: Caller, productId: string, available: number) =>
      (await client.call(inventory.routes.setStock, { params: { productId }, body: { available } }, as(caller))).body,
    sales: async (caller: Caller, query: { from?: string; to?: string; top: number }) => (await client.call(reports.routes.sales, { query }, as(caller))).body,
  };
}

export type ShopApi = ReturnType<typeof shopApi>;

/** A client for the gateway; several comma-separated gateway URLs are spread over. */
export function gatewayClient(gatewayUrl: string): ServiceClient {
  return createServiceClient({ name: 'gateway', baseUrl: gatewayUrl, timeoutMs: 5000, retries: 1 });
}
