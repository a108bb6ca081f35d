import { defineErrors } from '@bazaar/kit';

/**
 * psp-sim's error catalog. Codes are lower snake case, the way card networks
 * and PSPs name them (`card_declined`), so payments can pass them on as decline codes.
 */
export const errors = defineErrors({
  idempotency_key_required: { status: 400, title: 'The Idempotency-Key header is required' },
  idempotency_key_reused: { status: 422, title: 'This Idempotency-Key was already used with a different request' },
  invalid_number: { status: 400, title: 'The card number is not valid' },
  card_declined: { status: 402, title: 'The card was declined' },
  insufficient_funds: { status: 402, title: 'The card has insufficient funds' },
  expired_card: { status: 402, title: 'The card has expired' },
  reference_cancelled: { status: 402, title: 'This reference was cancelled before it was authorized' },
  authorization_not_found: { status: 404, title: 'No such authorization' },
  invalid_state: { status: 409, title: 'The authorization is not in a state that allows this' },
  simulated_failure: { status: 503, title: 'The card network is unavailable (simulated failure)' },
});
