import { defineErrors } from '@bazaar/kit';

/** Inventory's error catalog. */
export const errors = defineErrors({
  PRODUCT_NOT_FOUND: { status: 404, title: 'Inventory has no stock record for this product' },
  INVALID_CURSOR: { status: 400, title: 'This cursor is not one this service gave out' },
  RESERVATION_NOT_FOUND: { status: 404, title: 'No reservation for this order' },
  INSUFFICIENT_STOCK: { status: 409, title: 'Not enough stock' },
  RESERVATION_EXPIRED: { status: 409, title: 'The reservation expired and its stock was released' },
  RESERVATION_RELEASED: { status: 409, title: 'The reservation was released' },
  RESERVATION_COMMITTED: { status: 409, title: 'The reservation is committed' },
});
