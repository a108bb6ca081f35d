import { defineErrors } from '@bazaar/kit';

/** The search service's error catalog. */
export const errors = defineErrors({
  INVALID_CURSOR: { status: 400, title: 'The cursor is not valid' },
  INVALID_PRICE_RANGE: { status: 400, title: 'The price range is empty' },
});
