import { defineErrors } from '@bazaar/kit';

/** The reports service's error catalog. */
export const errors = defineErrors({
  INVALID_DATE: { status: 400, title: 'Not a valid date' },
  INVALID_RANGE: { status: 400, title: 'The date range is empty' },
});
