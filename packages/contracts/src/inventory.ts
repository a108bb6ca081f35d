import { Type, type Static } from 'typebox';

import { OPERATOR, access, defineRoute } from './route.ts';
/** Contract of the inventory service. Public: /api/inventory; internal (service token): /internal/inventory. */

export const ProductIdParams = Type.Object({ productId: Type.String({ minLength: 1, maxLength: 100 }) });

export const StockLevel = Type.Object({ productId: Type.String(), available: Type.Integer({ minimum: 0 }) });
export type StockLevel = Static<typeof StockLevel>;

/** Why stock was set when the caller does not say. */
export const DEFAULT_STOCK_REASON = 'stock set';

export const SetStockRequest = Type.Object(
  {
    available: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: `Why, recorded with the adjustment: "restock", "count correction", "damaged" or free text; "${DEFAULT_STOCK_REASON}" when absent` })),
  },
  { additionalProperties: false },
);
export type SetStockRequest = Static<typeof SetStockRequest>;

/** One change of a product's available units by an admin. */
export const StockAdjustment = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  delta: Type.Integer({ description: 'New available minus previous available' }),
  available: Type.Integer({ minimum: 0, description: 'Available units after the adjustment' }),
  reason: Type.String(),
  by: Type.Object({ id: Type.String(), email: Type.String() }, { description: 'The admin who made it' }),
  at: Type.String({ description: 'When (ISO 8601)' }),
});
export type StockAdjustment = Static<typeof StockAdjustment>;

export const StockAdjustmentPage = Type.Object({ items: Type.Array(StockAdjustment), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type StockAdjustmentPage = Static<typeof StockAdjustmentPage>;

export const ListAdjustmentsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 300, description: 'The nextCursor of the previous page, unchanged' })),
  },
  { additionalProperties: false },
);
export type ListAdjustmentsQuery = Static<typeof ListAdjustmentsQuery>;

export const ReservationStatus = Type.Union([Type.Literal('RESERVED'), Type.Literal('COMMITTED'), Type.Literal('RELEASED')]);
export type ReservationStatus = Static<typeof ReservationStatus>;

/** POST /internal/inventory/reservations — all or nothing; idempotent by orderId. */
export const ReserveRequest = Type.Object(
  {
    orderId: Type.String({ minLength: 1, maxLength: 100 }),
    items: Type.Array(Type.Object({ productId: Type.String({ minLength: 1 }), quantity: Type.Integer({ minimum: 1, maximum: 1000 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 100 }),
    ttlSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 600 }),
  },
  { additionalProperties: false },
);
export type ReserveRequest = Static<typeof ReserveRequest>;

export const Reservation = Type.Object({
  orderId: Type.String(),
  status: ReservationStatus,
  items: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer() })),
  expiresAt: Type.String(),
  /** Why it was released, when it was: "released", "expired". */
  releaseReason: Type.Optional(Type.String()),
});
export type Reservation = Static<typeof Reservation>;

export const OrderIdParams = Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 100 }) });

const orders = access.service('orders');
// Reads are open to the operator's tools too (invariant checks); reserving and releasing are the saga's alone.
const ordersOrOperator = access.service('orders', OPERATOR);

/** inventory's routes: stock levels (anyone reads, admins set) and reservations for the checkout saga. */
export const routes = {
  stockLevel: defineRoute({
    service: 'inventory', method: 'GET', path: '/api/inventory/:productId', access: access.public,
    summary: 'Units of a product available to buy', tags: ['stock'],
    params: ProductIdParams, responses: { 200: StockLevel }, errors: [400, 404],
  }),
  setStock: defineRoute({
    service: 'inventory', method: 'PUT', path: '/api/inventory/:productId', access: access.admin,
    summary: 'Set the units available (admin), with a reason recorded as an adjustment; reserved and committed units are unchanged', tags: ['stock'],
    params: ProductIdParams, body: SetStockRequest, responses: { 200: StockLevel }, errors: [400, 401, 403],
  }),
  stockAdjustments: defineRoute({
    service: 'inventory', method: 'GET', path: '/api/inventory/:productId/adjustments', access: access.admin,
    summary: 'Adjustments of a product\'s stock, newest first: who, when, by how much, why (admin)', tags: ['stock'],
    params: ProductIdParams, query: ListAdjustmentsQuery, responses: { 200: StockAdjustmentPage }, errors: [400, 401, 403],
  }),
  reserve: defineRoute({
    service: 'inventory', method: 'POST', path: '/internal/inventory/reservations', access: orders,
    summary: 'Reserve every item or none; the same orderId again returns its reservation (200) without reserving twice', tags: ['reservations'],
    body: ReserveRequest, responses: { 200: Reservation, 201: Reservation }, errors: [400, 401, 403, 409], idempotent: true,
  }),
  reservation: defineRoute({
    service: 'inventory', method: 'GET', path: '/internal/inventory/reservations/:orderId', access: ordersOrOperator,
    summary: 'The reservation of an order', tags: ['reservations'],
    params: OrderIdParams, responses: { 200: Reservation }, errors: [400, 401, 403, 404],
  }),
  commit: defineRoute({
    service: 'inventory', method: 'POST', path: '/internal/inventory/reservations/:orderId/commit', access: orders,
    summary: 'The reserved stock is sold (idempotent)', tags: ['reservations'],
    params: OrderIdParams, responses: { 200: Reservation }, errors: [400, 401, 403, 404, 409], idempotent: true,
  }),
  release: defineRoute({
    service: 'inventory', method: 'POST', path: '/internal/inventory/reservations/:orderId/release', access: orders,
    summary: 'The reserved stock goes back on sale (idempotent)', tags: ['reservations'],
    params: OrderIdParams, responses: { 200: Reservation }, errors: [400, 401, 403, 404, 409], idempotent: true,
  }),
};
