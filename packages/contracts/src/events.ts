import { Type, type Static, type TSchema } from 'typebox';
import { Money, ShippingAddress } from './common.ts';
import { OPERATOR, access, defineRoute } from './route.ts';

/**
 * Domain events, in the CloudEvents 1.0 JSON envelope
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md).
 * `type` names the producer and the business fact: `orders.order-confirmed`.
 */
export const CloudEvent = <D extends TSchema>(data: D) =>
  Type.Object({
    specversion: Type.Literal('1.0'),
    id: Type.String({ description: 'Unique per event; consumers de-duplicate on it' }),
    source: Type.String({ description: 'The producing service, e.g. "orders"' }),
    type: Type.String(),
    subject: Type.Optional(Type.String({ description: 'The entity the event is about (an order id, a product id)' })),
    time: Type.String({ format: 'date-time' }),
    datacontenttype: Type.Literal('application/json'),
    traceparent: Type.Optional(Type.String({ description: 'W3C trace context of the change (CloudEvents distributed-tracing extension)' })),
    /** Position in the producer's outbox: strictly increasing per source. */
    sequence: Type.Integer({ minimum: 1 }),
    data,
  });

export const AnyCloudEvent = CloudEvent(Type.Unknown());
export type AnyCloudEvent = Static<typeof AnyCloudEvent>;

/** Items of an order, priced at checkout. */
export const OrderLine = Type.Object({
  productId: Type.String(),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: Money,
  lineTotal: Money,
});
export type OrderLine = Static<typeof OrderLine>;

/** orders.order-confirmed — the order is paid (captured) and its stock committed. */
export const OrderConfirmedData = Type.Object({
  orderId: Type.String(),
  userId: Type.String(),
  email: Type.String(),
  items: Type.Array(OrderLine),
  total: Money,
  confirmedAt: Type.String(),
  /** Where to ship it and to whom (absent on orders placed before addresses were kept). */
  shippingAddress: Type.Optional(ShippingAddress),
  customerName: Type.Optional(Type.String()),
  /**
   * The cart version (its ETag) the order was placed from. Opaque to everyone
   * but the cart, which reads its revision from it to leave alone the lines
   * the shopper changed after checking out. Absent on orders placed before it
   * was carried (the cart then takes the ordered quantities out as before).
   */
  cartVersion: Type.Optional(Type.String({ description: 'The cart version (ETag) the order was placed from; only the cart reads it' })),
});
export type OrderConfirmedData = Static<typeof OrderConfirmedData>;

/** orders.order-cancelled — the order will not be fulfilled; nothing is charged, stock is released. */
export const OrderCancelledData = Type.Object({
  orderId: Type.String(),
  userId: Type.String(),
  email: Type.String(),
  items: Type.Array(OrderLine),
  total: Money,
  reason: Type.String(),
  cancelledAt: Type.String(),
});
export type OrderCancelledData = Static<typeof OrderCancelledData>;

/** orders.order-shipped — an admin marked a confirmed order shipped, with the parcel's carrier and tracking number. */
export const OrderShippedData = Type.Object({
  orderId: Type.String(),
  userId: Type.String(),
  email: Type.String(),
  carrier: Type.String(),
  trackingNumber: Type.String(),
  shippedAt: Type.String(),
  items: Type.Array(OrderLine),
  shippingAddress: Type.Optional(ShippingAddress),
  customerName: Type.Optional(Type.String()),
});
export type OrderShippedData = Static<typeof OrderShippedData>;

/** orders.order-refunded — a confirmed or shipped order was refunded in full (the money is back on the card); `restock`: its items go back on hand. */
export const OrderRefundedData = Type.Object({
  orderId: Type.String(),
  userId: Type.String(),
  email: Type.String(),
  amount: Money,
  restock: Type.Boolean(),
  items: Type.Array(OrderLine),
  reason: Type.Optional(Type.String()),
  refundedAt: Type.String(),
});
export type OrderRefundedData = Static<typeof OrderRefundedData>;

/** inventory.stock-changed — available units of a product changed. */
export const StockChangedData = Type.Object({
  productId: Type.String(),
  available: Type.Integer({ minimum: 0 }),
});
export type StockChangedData = Static<typeof StockChangedData>;

/** payments.payment-captured / payment-voided / payment-refunded. */
export const PaymentEventData = Type.Object({
  paymentId: Type.String(),
  orderId: Type.String(),
  amount: Money,
  status: Type.Union([Type.Literal('CAPTURED'), Type.Literal('VOIDED'), Type.Literal('REFUNDED')]),
});
export type PaymentEventData = Static<typeof PaymentEventData>;

/** catalog.product-created / product-updated — the product as it now is. */
export const ProductChangedData = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: Type.String(),
  price: Money,
  /** True once archived (search drops it); absent or false when on sale. */
  archived: Type.Optional(Type.Boolean()),
});
export type ProductChangedData = Static<typeof ProductChangedData>;

/** Every event type Bazaar publishes, with its data schema. */
export const EventTypes = {
  'orders.order-confirmed': OrderConfirmedData,
  'orders.order-cancelled': OrderCancelledData,
  'orders.order-shipped': OrderShippedData,
  'orders.order-refunded': OrderRefundedData,
  'inventory.stock-changed': StockChangedData,
  'payments.payment-captured': PaymentEventData,
  'payments.payment-voided': PaymentEventData,
  'payments.payment-refunded': PaymentEventData,
  'catalog.product-created': ProductChangedData,
  'catalog.product-updated': ProductChangedData,
} as const;
export type EventType = keyof typeof EventTypes;
export type EventData<T extends EventType> = Static<(typeof EventTypes)[T]>;

/** Who produces and who consumes each event type (documentation; the AsyncAPI document is generated from it). */
export const EventRoutes: Record<EventType, { producer: string; consumers: string[]; summary: string }> = {
  'orders.order-confirmed': { producer: 'orders', consumers: ['cart', 'notifications', 'reports'], summary: 'An order is paid (captured) and its stock committed.' },
  'orders.order-cancelled': { producer: 'orders', consumers: ['notifications', 'reports'], summary: 'An order will not be fulfilled; nothing is charged and its stock is released.' },
  'orders.order-shipped': { producer: 'orders', consumers: ['notifications'], summary: 'An admin marked a confirmed order shipped (carrier and tracking number).' },
  'orders.order-refunded': {
    producer: 'orders',
    consumers: ['notifications', 'inventory'],
    summary: "An admin refunded an order in full through payments; with restock its items go back on hand. (Reports counts refunds from payments' payment-refunded.)",
  },
  'inventory.stock-changed': { producer: 'inventory', consumers: ['search'], summary: 'The available units of a product changed.' },
  'payments.payment-captured': { producer: 'payments', consumers: ['reports'], summary: 'Money was captured for an order.' },
  'payments.payment-voided': { producer: 'payments', consumers: ['reports'], summary: 'An authorization was voided; nothing will be charged.' },
  'payments.payment-refunded': { producer: 'payments', consumers: ['reports'], summary: 'A captured payment was refunded.' },
  'catalog.product-created': { producer: 'catalog', consumers: ['inventory', 'search'], summary: 'A product was added to the catalog (also for every seeded product).' },
  'catalog.product-updated': { producer: 'catalog', consumers: ['search'], summary: 'A product changed (also archived or unarchived: `archived` says which); the data is the product as it now is.' },
};

export const FeedQuery = Type.Object(
  {
    after: Type.Integer({ minimum: 0, default: 0, description: 'Return events with sequence > after' }),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    waitMs: Type.Integer({ minimum: 0, maximum: 25_000, default: 0, description: 'Long-poll: wait up to this long for a first event' }),
    order: Type.Optional(
      Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
        description: "asc (default): oldest first, what a consumer reads; desc: newest first (with limit=1, the feed's head: how far a rebuild has to replay)",
      }),
    ),
  },
  { additionalProperties: false },
);
export type FeedQuery = Static<typeof FeedQuery>;

export const FeedPage = Type.Object({ events: Type.Array(AnyCloudEvent), next: Type.Integer({ description: 'The newest sequence in this page (or `after` when it is empty): ask after it for what comes next' }) });
export type FeedPage = Static<typeof FeedPage>;

/**
 * GET /internal/events: the embedded transport's feed, served by every
 * service that publishes events (its outbox, oldest first, after a cursor,
 * long-polling). `service` is a placeholder: each producer serves it.
 */
export const feedRoute = defineRoute({
  service: 'any producer', method: 'GET', path: '/internal/events', access: access.service('cart', 'inventory', 'notifications', 'reports', 'search', OPERATOR),
  summary: 'Events after a position, oldest first (long-poll)', tags: ['internal'], hidden: true,
  query: FeedQuery, responses: { 200: FeedPage }, errors: [400, 401, 403],
});
