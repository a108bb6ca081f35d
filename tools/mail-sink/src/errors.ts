import { defineErrors } from '@bazaar/kit';

/** The mail sink's error catalog. */
export const errors = defineErrors({
  MESSAGE_NOT_FOUND: { status: 404, title: 'No such message' },
});
