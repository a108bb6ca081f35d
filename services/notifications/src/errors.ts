import { defineErrors } from '@bazaar/kit';

/** The notifications service's error catalog. */
export const errors = defineErrors({
  EMAIL_NOT_FOUND: { status: 404, title: 'No such email' },
});
