import { Type, type Static } from 'typebox';
import { Money, ShippingAddress } from './common.ts';
import { access, defineRoute } from './route.ts';
import { Card } from './payments.ts';
import { OrderLine } from './events.ts';

/** Contract of the orders service: /api/checkout and /api/orders. */

export { ShippingAddress } from './common.ts';

export const CheckoutRequest = Type.Object({ shippingAddress: ShippingAddress, card: Card }, { additionalProperties: false });
export type CheckoutRequest = Static<typeof CheckoutRequest>;

/** PENDING → CONFIRMED or CANCELLED (the saga); CONFIRMED → SHIPPED (an admin); CONFIRMED or SHIPPED → REFUNDED (an admin). */
export const OrderStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('CANCELLED'), Type.Literal('SHIPPED'), Type.Literal('REFUNDED')]);
export type OrderStatus = Static<typeof OrderStatus>;

export const CheckoutResponse = Type.Object({ orderId: Type.String(), status: OrderStatus });
export type CheckoutResponse = Static<typeof CheckoutResponse>;

/** How a shipped order travels. */
export const Shipment = Type.Object({ carrier: Type.String(), trackingNumber: Type.String(), shippedAt: Type.String() });
export type Shipment = Static<typeof Shipment>;

/** A refund: always the order's full total, back to the card it was paid with. */
export const Refund = Type.Object({
  amount: Money,
  restock: Type.Boolean({ description: 'Whether the items went back on hand' }),
  reason: Type.Optional(Type.String()),
  refundedAt: Type.String(),
});
export type Refund = Static<typeof Refund>;

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
  shipment: Type.Optional({ ...Shipment, description: 'Set once the order was shipped (kept after a refund)' }),
  refund: Type.Optional({ ...Refund, description: 'Set once the order was refunded' }),
});
export type Order = Static<typeof Order>;

/** An order as the back office sees it: whose it is, and its payment's state at payments. */
export const AdminOrder = Type.Object({
  ...Order.properties,
  userId: Type.String(),
  paymentStatus: Type.Optional(Type.String({ description: "The payment's status at payments (AUTHORIZED, CAPTURED, REFUNDED…); absent when payments could not be asked" })),
  emails: Type.Optional(
    Type.Array(
      Type.Object({
        kind: Type.String({ description: 'order-confirmed, order-cancelled, order-shipped, order-refunded' }),
        to: Type.String(),
        subject: Type.String(),
        status: Type.Union([Type.Literal('pending'), Type.Literal('sent')]),
        createdAt: Type.String(),
        sentAt: Type.Union([Type.String(), Type.Null()]),
      }),
      { description: 'The emails notifications sent (or is sending) about this order, oldest first; absent when notifications could not be asked' },
    ),
  ),
});
export type OrderEmail = NonNullable<Static<typeof AdminOrder>['emails']>[number];
export type AdminOrder = Static<typeof AdminOrder>;

export const AdminOrderList = Type.Object({ items: Type.Array(AdminOrder), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type AdminOrderList = Static<typeof AdminOrderList>;

const DateOrDateTime = (description: string) =>
  Type.String({ maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$', description });

export const AdminListOrdersQuery = Type.Object(
  {
    status: Type.Optional(OrderStatus),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only this customer\'s orders' })),
    from: Type.Optional(DateOrDateTime('Placed at or after: a date (YYYY-MM-DD, from its start, UTC) or a date-time')),
    to: Type.Optional(DateOrDateTime('Placed at or before: a date (YYYY-MM-DD, the whole day, UTC) or a date-time')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'The nextCursor of the previous page, unchanged (with the same filters)' })),
  },
  { additionalProperties: false },
);
export type AdminListOrdersQuery = Static<typeof AdminListOrdersQuery>;

export const ShipOrderRequest = Type.Object(
  {
    carrier: Type.String({ minLength: 1, maxLength: 60, pattern: '\\S', description: 'Who carries the parcel, e.g. "La Poste"' }),
    trackingNumber: Type.String({ minLength: 1, maxLength: 60, pattern: '^[A-Za-z0-9][A-Za-z0-9 -]*$', description: "The carrier's tracking number (letters, digits, spaces, dashes)" }),
  },
  { additionalProperties: false },
);
export type ShipOrderRequest = Static<typeof ShipOrderRequest>;

export const RefundOrderRequest = Type.Object(
  {
    restock: Type.Boolean({ description: 'Put the ordered quantities back on hand (inventory, through orders.order-refunded)' }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  },
  { additionalProperties: false },
);
export type RefundOrderRequest = Static<typeof RefundOrderRequest>;

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
    // The Idempotency-Key makes a repeat return the same order: safe to send again.
    idempotent: true,
    // Orders answers within the budget the gateway sends (a 202 when the saga is still running), so the gateway waits
    // longer than its default for it; an instance that has not answered within 2.5 s (frozen, stalled) is passed over
    // for another within the same request, whose saga deadline then counts from the gateway's first receipt.
    edge: { bodyLimit: 8192, timeoutMs: 8000, tryMs: 2500 },
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
  adminListOrders: defineRoute({
    service: 'orders', method: 'GET', path: '/api/admin/orders', access: access.admin,
    summary: "All customers' orders, newest first, one page at a time; filter by status, customer and date (admin)", tags: ['admin'],
    query: AdminListOrdersQuery, responses: { 200: AdminOrderList }, errors: [400, 401, 403],
  }),
  adminGetOrder: defineRoute({
    service: 'orders', method: 'GET', path: '/api/admin/orders/:id', access: access.admin,
    summary: "Any order, with its customer, shipment, refund and payment state (admin)", tags: ['admin'],
    params: OrderIdParams, responses: { 200: AdminOrder }, errors: [400, 401, 403, 404],
  }),
  shipOrder: defineRoute({
    service: 'orders', method: 'POST', path: '/api/admin/orders/:id/shipment', access: access.admin,
    summary: 'Mark a CONFIRMED order SHIPPED with its carrier and tracking number; publishes orders.order-shipped (admin)', tags: ['admin'],
    description: 'Idempotent: the same carrier and tracking number again answers 200 with the same order. 409 ALREADY_SHIPPED when it was shipped with another tracking number; 409 ORDER_NOT_SHIPPABLE unless it is CONFIRMED.',
    params: OrderIdParams, body: ShipOrderRequest, responses: { 200: AdminOrder }, errors: [400, 401, 403, 404, 409], idempotent: true,
    edge: { bodyLimit: 2048 },
  }),
  refundOrder: defineRoute({
    service: 'orders', method: 'POST', path: '/api/admin/orders/:id/refund', access: access.admin,
    summary: 'Refund a CONFIRMED or SHIPPED order in full through payments; REFUNDED, publishes orders.order-refunded (admin)', tags: ['admin'],
    description:
      'Idempotent: asking again answers 200 with the same order and refunds nothing more (409 ALREADY_REFUNDED when asked with another restock or reason). 409 ORDER_NOT_REFUNDABLE unless CONFIRMED or SHIPPED. 502/503/504 when payments or the payment provider failed: the order is left as it was, try again.',
    params: OrderIdParams, body: RefundOrderRequest, responses: { 200: AdminOrder }, errors: [400, 401, 403, 404, 409, 502, 503, 504], idempotent: true,
    edge: { bodyLimit: 2048 },
  }),
};
