import { defineErrors } from '@bazaar/kit';

/** Errors the gateway itself produces (upstream failures use the kit's common codes). */
export const errors = defineErrors({
  UNKNOWN_AREA: { status: 404, title: 'No service serves this path' },
  UPSTREAM_RESET: { status: 502, title: 'The service closed the connection before answering' },
});
