import { defineErrors } from '@bazaar/kit';

/** The storefront's error catalog. HTML pages show the title and detail; JSON endpoints send problem+json. */
export const errors = defineErrors({
  PAGE_NOT_FOUND: { status: 404, title: 'This page does not exist' },
  PRODUCT_NOT_FOUND: { status: 404, title: 'This product does not exist' },
  CUSTOMER_NOT_FOUND: { status: 404, title: 'No such customer' },
  ORDER_NOT_FOUND: { status: 404, title: 'No such order in your account' },
  SIGN_IN_REQUIRED: { status: 401, title: 'Please sign in first' },
  ADMIN_ONLY: { status: 403, title: 'The back office is for administrators' },
  CSRF_REJECTED: { status: 403, title: 'This form has expired: go back, reload the page and submit it again' },
  IMAGE_INVALID: { status: 400, title: 'The image must be a JPEG, PNG or WebP picture' },
  IMAGE_TOO_LARGE: { status: 413, title: 'The image is too large' },
  IMAGE_NOT_FOUND: { status: 404, title: 'No such image' },
  SHOP_UNAVAILABLE: { status: 503, title: 'The shop is busy or partly down: please try again in a moment' },
});
