import { Type, type Static } from 'typebox';
import { Money } from './common.ts';
import { access, defineRoute } from './route.ts';

/** Contract of the cart service. Public: /api/cart (the caller's own cart); internal: /internal/carts/:userId (and …/ordered). */

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

/**
 * An order just confirmed, as orders tells the cart before answering the
 * shopper: which lines it bought, from which cart version. The same facts as
 * `orders.order-confirmed`, which stays the guarantee.
 */
export const OrderedItemsRequest = Type.Object(
  {
    orderId: Type.String({ minLength: 1, maxLength: 100 }),
    cartVersion: Type.String({ minLength: 1, maxLength: 200, description: 'The cart version (ETag) the order was placed from' }),
    items: Type.Array(
      Type.Object({ productId: Type.String({ minLength: 1, maxLength: 100 }), quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 200 },
    ),
  },
  { additionalProperties: false },
);
export type OrderedItemsRequest = Static<typeof OrderedItemsRequest>;

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
  removeOrdered: defineRoute({
    service: 'cart', method: 'POST', path: '/internal/carts/:userId/ordered', access: access.service('orders'),
    summary: "An order was confirmed: its lines leave the user's cart now (internal: service credential)", tags: ['internal'],
    description:
      'Exactly what orders.order-confirmed does, earlier: lines last set at or before the revision of cartVersion drop by the ordered quantity; ' +
      'lines set later, and lines the order does not name, stay. Idempotent, also with the event (each line leaves once). ' +
      'A cartVersion the cart cannot read changes nothing (the event then takes the lines out). 204, no body.',
    params: UserIdParams, body: OrderedItemsRequest, responses: { 204: Type.Null({ description: 'No content' }) }, errors: [400, 401, 403, 503],
    idempotent: true,
  }),
};
