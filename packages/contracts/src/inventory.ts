import { Type, type Static } from 'typebox';

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
