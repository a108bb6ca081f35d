import { defineErrors } from '@bazaar/kit';

/** The orders service's error catalog. */
export const errors = defineErrors({
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'An Idempotency-Key header is required' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used for a different request' },
  CART_EMPTY: { status: 409, title: 'The cart is empty' },
  ORDER_NOT_FOUND: { status: 404, title: 'No such order' },
});
