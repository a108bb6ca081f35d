import { Type, type Static } from 'typebox';
import { Money } from './common.ts';

/** Contract of the cart service. Public: /api/cart (the caller's own cart); internal: /internal/carts/:userId. */

export const CartItem = Type.Object({
  productId: Type.String(),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: Money,
  lineTotal: Money,
});
export type CartItem = Static<typeof CartItem>;

/** A cart priced from the catalog at read time. */
export const Cart = Type.Object({ items: Type.Array(CartItem), total: Money });
export type Cart = Static<typeof Cart>;

export const SetQuantityRequest = Type.Object({ quantity: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false });
export type SetQuantityRequest = Static<typeof SetQuantityRequest>;

export const CartItemParams = Type.Object({ productId: Type.String({ minLength: 1, maxLength: 100 }) });
export const UserIdParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 100 }) });
