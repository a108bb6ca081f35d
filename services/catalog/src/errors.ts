import { defineErrors } from '@bazaar/kit';

/** The catalog's error catalog. */
export const errors = defineErrors({
  PRODUCT_NOT_FOUND: { status: 404, title: 'No such product' },
  SKU_TAKEN: { status: 409, title: 'A product with this SKU exists' },
  INVALID_CURSOR: { status: 400, title: 'The cursor is not valid' },
  UNKNOWN_CATEGORY: { status: 400, title: 'No such category' },
  WRONG_CURRENCY: { status: 400, title: 'Prices must be in the catalog currency' },
  PRICE_OUT_OF_RANGE: { status: 400, title: 'The price is higher than the catalog allows' },
});
