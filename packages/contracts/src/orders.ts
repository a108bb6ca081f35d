import { Type, type Static } from 'typebox';
import { Money, ShippingAddress } from './common.ts';
import { access, defineRoute } from './route.ts';
import { Card } from './payments.ts';
import { OrderLine } from './events.ts';

/** Contract of the orders service: /api/checkout and /api/orders. */

export { ShippingAddress } from './common.ts';

export const CheckoutRequest = Type.Object({ shippingAddress: ShippingAddress, card: Card }, { additionalProperties: false });
export type CheckoutRequest = Static<typeof CheckoutRequest>;

export const OrderStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('CANCELLED')]);
export type OrderStatus = Static<typeof OrderStatus>;

export const CheckoutResponse = Type.Object({ orderId: Type.String(), status: OrderStatus });
export type CheckoutResponse = Static<typeof CheckoutResponse>;

export const Order = Type.Object({
  id: Type.String(),
  status: OrderStatus,
  items: Type.Array(OrderLine),
  total: Money,
  reason: Type.Optional(Type.String()),
  createdAt: Type.String(),
  /** Who bought it: the email of the account, the name given with the address. */
  customer: Type.Object({ email: Type.String(), name: Type.Optional(Type.String()) }),
  shippingAddress: Type.Optional({ ...ShippingAddress, description: 'Where to ship it; absent only on orders placed before addresses were kept' }),
});
export type Order = Static<typeof Order>;

/** One page of orders, newest first; pass `nextCursor` back as `cursor` for the next page (null: no more). */
export const OrderList = Type.Object({ items: Type.Array(Order), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type OrderList = Static<typeof OrderList>;

export const ListOrdersQuery = Type.Object(
  {
    status: Type.Optional(OrderStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The nextCursor of the previous page, unchanged' })),
  },
  { additionalProperties: false },
);
export type ListOrdersQuery = Static<typeof ListOrdersQuery>;

/** Longest long-poll of GET /api/orders/:id?wait=, in seconds. */
export const MAX_ORDER_WAIT_SECONDS = 20;

export const GetOrderQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_ORDER_WAIT_SECONDS,
        description: 'Long-poll: while the order is PENDING, wait up to this many seconds for its final status before answering (it answers as soon as it is final)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const OrderIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const CheckoutHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 200, description: 'Chosen by the client, one per checkout attempt; a retry sends the same key and body' }),
  'if-match': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The ETag of the cart the shopper saw (GET /api/cart). Required: without it 428 CART_VERSION_REQUIRED; when the cart changed since, 412 CART_CHANGED with the current cart',
    }),
  ),
});

/** The orders service's routes: checkout and the caller's orders. */
export const routes = {
  checkout: defineRoute({
    service: 'orders', method: 'POST', path: '/api/checkout', access: access.user,
    summary: 'Check out the cart: 201 with the final status, or 202 PENDING while the saga is still running', tags: ['checkout'],
    headers: CheckoutHeaders, body: CheckoutRequest,
    responses: {
      201: { ...CheckoutResponse, description: 'The saga finished: CONFIRMED or CANCELLED (see the order for the reason)' },
      202: { ...CheckoutResponse, description: 'Still PENDING: `Location` names the order and `Retry-After` (seconds) says when to look; wait for the final status with GET /api/orders/:id?wait=20' },
    },
    description:
      'Send If-Match with the cart\'s ETag: the order is made of exactly that cart version, at its prices. 412 CART_CHANGED (the problem\'s `cart` is the current one) when it changed; 428 without If-Match; 409 CART_ALREADY_ORDERED (naming `orderId`) when this cart version already became an order; 409 CART_EMPTY.',
    errors: [400, 401, 409, 412, 413, 422, 428, 502, 503, 504],
    // Orders answers within the budget the gateway sends (a 202 when the saga is still running), so the gateway waits longer than its default for it.
    edge: { bodyLimit: 8192, timeoutMs: 8000 },
  }),
  listOrders: defineRoute({
    service: 'orders', method: 'GET', path: '/api/orders', access: access.user,
    summary: 'Your orders, newest first, one page at a time (optionally only one status)', tags: ['orders'],
    query: ListOrdersQuery, responses: { 200: OrderList }, errors: [400, 401],
  }),
  getOrder: defineRoute({
    service: 'orders', method: 'GET', path: '/api/orders/:id', access: access.user,
    summary: 'One order (yours, or any for an admin); ?wait=N long-polls for a PENDING order to become final', tags: ['orders'],
    params: OrderIdParams, query: GetOrderQuery, responses: { 200: Order }, errors: [400, 401, 404],
    // A long-poll answers within the gateway's budget; the gateway must let it run its full wait.
    edge: { timeoutMs: (MAX_ORDER_WAIT_SECONDS + 5) * 1000 },
  }),
};
