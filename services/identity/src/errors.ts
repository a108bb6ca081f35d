import { defineErrors } from '@bazaar/kit';

/** Identity's error catalog; validation, malformed JSON and missing tokens use the kit's common codes. */
export const errors = defineErrors({
  WEAK_PASSWORD: { status: 400, title: 'The password does not meet the password policy' },
  INVALID_NAME: { status: 400, title: 'The name is not valid' },
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid email or password' },
  INVALID_REFRESH_TOKEN: { status: 401, title: 'The refresh token is not valid' },
  INVALID_CURSOR: { status: 400, title: 'This cursor is not one this service gave out' },
  CUSTOMER_NOT_FOUND: { status: 404, title: 'No such account' },
  // 401, not 404: for the caller the token no longer identifies anyone, so the fix is to log in again.
  USER_NOT_FOUND: { status: 401, title: 'The account no longer exists' },
});
