import { Type, type Static } from 'typebox';
import { Money } from './common.ts';
import { Card } from './payments.ts';
import { OrderLine } from './events.ts';

/** Contract of the orders service: /api/checkout and /api/orders. */

export const ShippingAddress = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    line1: Type.String({ minLength: 1, maxLength: 200 }),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    postalCode: Type.String({ minLength: 1, maxLength: 20 }),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
  },
  { additionalProperties: false },
);
export type ShippingAddress = Static<typeof ShippingAddress>;

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
});
export type Order = Static<typeof Order>;

export const OrderList = Type.Object({ items: Type.Array(Order) });
export type OrderList = Static<typeof OrderList>;

export const OrderIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
