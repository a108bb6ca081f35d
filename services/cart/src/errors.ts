import { defineErrors } from '@bazaar/kit';

/** The cart's error catalog. */
export const errors = defineErrors({
  PRODUCT_NOT_FOUND: { status: 404, title: 'No such product' },
  PRODUCT_ARCHIVED: { status: 409, title: 'This product is no longer sold' },
  CART_FULL: { status: 400, title: 'The cart holds as many different products as it can' },
  CART_TOTAL_TOO_LARGE: { status: 400, title: 'The cart would cost more than one order may' },
  CART_BUSY: { status: 409, title: 'The cart is being changed by other requests' },
});
