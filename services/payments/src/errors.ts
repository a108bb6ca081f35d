import { defineErrors } from '@bazaar/kit';

/**
 * The payments error catalog. PSP outages surface as the kit's
 * UPSTREAM_UNAVAILABLE (503) and UPSTREAM_TIMEOUT (504): transient, retry.
 */
export const errors = defineErrors({
  PAYMENT_DECLINED: { status: 402, title: 'The card was declined' },
  PAYMENT_NOT_FOUND: { status: 404, title: 'No payment for this order' },
  PAYMENT_MISMATCH: { status: 409, title: 'This order already has a payment with different details' },
  INVALID_TRANSITION: { status: 409, title: 'The payment is not in a state that allows this' },
  INVALID_AMOUNT: { status: 400, title: 'The amount cannot be charged' },
});
