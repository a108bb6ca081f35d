import { Type, type Static } from 'typebox';
import { Money } from './common.ts';
import { access, defineRoute } from './route.ts';

/** Contract of the cart service. Public: /api/cart (the caller's own cart); internal: /internal/carts/:userId. */

export const CartItem = Type.Object({
  productId: Type.String(),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPrice: Money,
  lineTotal: Money,
});
export type CartItem = Static<typeof CartItem>;

/**
 * A cart priced from the catalog at read time. `version` names this exact
 * content: its lines and every price. It is also the ETag of the answer
 * (quoted), and checkout's If-Match: it changes whenever a line or a price does.
 */
export const Cart = Type.Object({
  items: Type.Array(CartItem),
  total: Money,
  version: Type.String({ description: "This cart's lines and prices; the answer's ETag is this value quoted" }),
});
export type Cart = Static<typeof Cart>;


export const SetQuantityRequest = Type.Object({ quantity: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false });
export type SetQuantityRequest = Static<typeof SetQuantityRequest>;

export const CartItemParams = Type.Object({ productId: Type.String({ minLength: 1, maxLength: 100 }) });
export const UserIdParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 100 }) });

/** The cart's routes: the caller's own cart (the user comes from the token, never the URL), and the priced cart for checkout. */
export const routes = {
  getCart: defineRoute({
    service: 'cart', method: 'GET', path: '/api/cart', access: access.user,
    summary: 'My cart, priced now', tags: ['cart'],
    responses: { 200: Cart }, errors: [401, 503],
  }),
  setQuantity: defineRoute({
    service: 'cart', method: 'PUT', path: '/api/cart/items/:productId', access: access.user,
    summary: 'Set how many of a product my cart holds (0 removes it); answers the updated cart', tags: ['cart'],
    description: 'Atomic: a refused or failed write leaves the cart as it was. 400 CART_FULL (too many lines) or CART_TOTAL_TOO_LARGE (the total would pass MAX_MONEY_AMOUNT).',
    params: CartItemParams, body: SetQuantityRequest, responses: { 200: Cart }, errors: [400, 401, 404, 409, 413, 503],
    edge: { bodyLimit: 4096 },
  }),
  removeItem: defineRoute({
    service: 'cart', method: 'DELETE', path: '/api/cart/items/:productId', access: access.user,
    summary: 'Remove a product from my cart (idempotent); answers the updated cart', tags: ['cart'],
    params: CartItemParams, responses: { 200: Cart }, errors: [400, 401, 503],
  }),
  pricedCart: defineRoute({
    service: 'cart', method: 'GET', path: '/internal/carts/:userId', access: access.service('orders'),
    summary: "A user's cart, priced now (internal: service credential)", tags: ['internal'],
    params: UserIdParams, responses: { 200: Cart }, errors: [400, 401, 403, 503],
  }),
};
