import { Type, type Static } from 'typebox';

import { OPERATOR, access, defineRoute } from './route.ts';
/** Contract of the inventory service. Public: /api/inventory; internal (service token): /internal/inventory. */

export const ProductIdParams = Type.Object({ productId: Type.String({ minLength: 1, maxLength: 100 }) });

export const StockLevel = Type.Object({ productId: Type.String(), available: Type.Integer({ minimum: 0 }) });
export type StockLevel = Static<typeof StockLevel>;

export const SetStockRequest = Type.Object({ available: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }, { additionalProperties: false });
export type SetStockRequest = Static<typeof SetStockRequest>;

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
    summary: 'Set the units available (admin); reserved and committed units are unchanged', tags: ['stock'],
    params: ProductIdParams, body: SetStockRequest, responses: { 200: StockLevel }, errors: [400, 401, 403],
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
