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
import type { AdminListOrdersQuery, CheckoutRequest, RefundOrderRequest, ShipOrderRequest } from '@bazaar/contracts/orders';
import type { CreateProductRequest, UpdateProductRequest } from '@bazaar/contracts/catalog';
import type { SearchQuery } from '@bazaar/contracts/search';

export type { Cart } from '@bazaar/contracts/cart';
export type { Category, Product, ProductPage } from '@bazaar/contracts/catalog';
export type { Customer, Me, TokenPair } from '@bazaar/contracts/identity';
export type { StockAdjustment } from '@bazaar/contracts/inventory';
export type { AdminOrder, AdminOrderList, Order, CheckoutRequest, ShippingAddress } from '@bazaar/contracts/orders';
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

/** The services the storefront calls, each through the gateway with a client (and a circuit breaker) of its own. */
export const UPSTREAMS = ['catalog', 'inventory', 'search', 'identity', 'cart', 'orders', 'reports'] as const;
export type Upstream = (typeof UPSTREAMS)[number];
export type GatewayClients = Record<Upstream, ServiceClient>;

/** The typed shop API: the services' public route descriptors, called through the gateway. */
export function shopApi(clients: GatewayClients) {
  const { catalog: catalogClient, inventory: inventoryClient, search: searchClient, identity: identityClient, cart: cartClient, orders: ordersClient, reports: reportsClient } = clients;
  return {
    clients,
    categories: async () => (await catalogClient.call(catalog.routes.listCategories, {})).body.items,
    product: async (id: string) => (await catalogClient.call(catalog.routes.getProduct, { params: { id } })).body,
    stock: async (productId: string) => (await inventoryClient.call(inventory.routes.stockLevel, { params: { productId } })).body,
    search: async (query: SearchQuery) => (await searchClient.call(search.routes.search, { query })).body,

    register: async (body: { email: string; password: string; name: string }) => (await identityClient.call(identity.routes.register, { body })).body,
    login: async (body: { email: string; password: string }) => (await identityClient.call(identity.routes.login, { body })).body,
    refresh: async (refreshToken: string) => (await identityClient.call(identity.routes.refresh, { body: { refreshToken } })).body,
    me: async (caller: Caller) => (await identityClient.call(identity.routes.me, {}, as(caller))).body,

    cart: async (caller: Caller) => (await cartClient.call(cart.routes.getCart, {}, as(caller))).body,
    setQuantity: async (caller: Caller, productId: string, quantity: number) =>
      (await cartClient.call(cart.routes.setQuantity, { params: { productId }, body: { quantity } }, as(caller))).body,
    removeItem: async (caller: Caller, productId: string) => (await cartClient.call(cart.routes.removeItem, { params: { productId } }, as(caller))).body,

    /** 201 with a final status or 202 PENDING; the key makes a double submit one order; `cartVersion` (the cart's ETag) pins the cart the page checked. */
    checkout: async (caller: Caller, key: string, body: CheckoutRequest, cartVersion: string) =>
      // A checkout may wait for the saga: longer than a page read. Retried by the caller only, with the same key.
      (await ordersClient.call(orders.routes.checkout, { headers: { 'idempotency-key': key, 'if-match': `"${cartVersion}"` }, body }, { ...as(caller), timeoutMs: 10_000 })).body,
    order: async (caller: Caller, id: string) => (await ordersClient.call(orders.routes.getOrder, { params: { id }, query: {} }, as(caller))).body,

    createProduct: async (caller: Caller, body: CreateProductRequest) => (await catalogClient.call(catalog.routes.createProduct, { body }, as(caller))).body,
    updateProduct: async (caller: Caller, id: string, body: UpdateProductRequest) => (await catalogClient.call(catalog.routes.updateProduct, { params: { id }, body }, as(caller))).body,
    sales: async (caller: Caller, query: { from?: string; to?: string; top: number }) => (await reportsClient.call(reports.routes.sales, { query }, as(caller))).body,

    // The back office's customers, product archive and stock adjustments; the shopper's paged order history.
    customers: async (caller: Caller, query: { q?: string; cursor?: string; limit: number }) => (await identityClient.call(identity.routes.listCustomers, { query }, as(caller))).body,
    customer: async (caller: Caller, id: string) => (await identityClient.call(identity.routes.getCustomer, { params: { id } }, as(caller))).body,
    setArchived: async (caller: Caller, id: string, archived: boolean) =>
      (await catalogClient.call(archived ? catalog.routes.archiveProduct : catalog.routes.unarchiveProduct, { params: { id } }, as(caller))).body,
    adjustStock: async (caller: Caller, productId: string, body: { available: number; reason: string }) =>
      (await inventoryClient.call(inventory.routes.setStock, { params: { productId }, body }, as(caller))).body,
    stockAdjustments: async (caller: Caller, productId: string, query: { cursor?: string; limit: number }) =>
      (await inventoryClient.call(inventory.routes.stockAdjustments, { params: { productId }, query }, as(caller))).body,
    archivedProducts: async (query: { cursor?: string; limit: number }) => (await catalogClient.call(catalog.routes.listProducts, { query: { ...query, archived: true } })).body,
    orderPage: async (caller: Caller, query: { cursor?: string; limit: number }) => (await ordersClient.call(orders.routes.listOrders, { query }, as(caller))).body,
    // The back office's orders (admin token): list, detail, mark shipped, refund.
    adminOrders: async (caller: Caller, query: AdminListOrdersQuery) => (await ordersClient.call(orders.routes.adminListOrders, { query }, as(caller))).body,
    adminOrder: async (caller: Caller, id: string) => (await ordersClient.call(orders.routes.adminGetOrder, { params: { id } }, as(caller))).body,
    shipOrder: async (caller: Caller, id: string, body: ShipOrderRequest) => (await ordersClient.call(orders.routes.shipOrder, { params: { id }, body }, as(caller))).body,
    // A refund waits for payments and the card network: longer than a page read.
    refundOrder: async (caller: Caller, id: string, body: RefundOrderRequest) =>
      (await ordersClient.call(orders.routes.refundOrder, { params: { id }, body }, { ...as(caller), timeoutMs: 10_000 })).body,
  };
}

export type ShopApi = ReturnType<typeof shopApi>;

/**
 * Clients for the gateway, one per service behind it: a slow search service
 * opens the search client's breaker, not the one carts and checkouts go
 * through. Several comma-separated gateway URLs are spread over.
 */
export function gatewayClients(gatewayUrl: string): GatewayClients {
  return Object.fromEntries(UPSTREAMS.map((name) => [name, createServiceClient({ name: `gateway (${name})`, baseUrl: gatewayUrl, timeoutMs: 5000, retries: 1 })])) as GatewayClients;
}

/** Close every client's connections. */
export async function closeClients(clients: GatewayClients): Promise<void> {
  await Promise.all(Object.values(clients).map((c) => c.close()));
}
