import { defineErrors } from '@bazaar/kit';

/** The orders service's error catalog. */
export const errors = defineErrors({
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'An Idempotency-Key header is required' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used for a different request' },
  CART_EMPTY: { status: 409, title: 'The cart is empty' },
  CART_VERSION_REQUIRED: { status: 428, title: "Send the cart's ETag as If-Match" },
  CART_CHANGED: { status: 412, title: 'The cart changed since it was shown' },
  CART_ALREADY_ORDERED: { status: 409, title: 'This cart was already ordered' },
  ORDER_NOT_FOUND: { status: 404, title: 'No such order' },
  INVALID_CURSOR: { status: 400, title: 'This cursor is not one this service gave out' },
  INVALID_DATE: { status: 400, title: 'This is not a date' },
  ORDER_NOT_SHIPPABLE: { status: 409, title: 'Only a confirmed order can be shipped' },
  ALREADY_SHIPPED: { status: 409, title: 'This order was already shipped with another tracking number' },
  ORDER_NOT_REFUNDABLE: { status: 409, title: 'Only a confirmed or shipped order can be refunded' },
  ALREADY_REFUNDED: { status: 409, title: 'This order was already refunded, with other details' },
});
