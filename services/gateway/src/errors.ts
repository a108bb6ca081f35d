import { defineErrors } from '@bazaar/kit';

/** Errors the gateway itself produces (it also uses the kit's common codes: 401, 403, 404, 405, 413, 503, 504). */
export const errors = defineErrors({
  UNKNOWN_AREA: { status: 404, title: 'No service serves this path' },
  INVALID_PATH: { status: 400, title: 'The path is not in normal form' },
  UPSTREAM_RESET: { status: 502, title: 'The service closed the connection before answering' },
  CIRCUIT_OPEN: { status: 503, title: 'The service is failing; calls to it are paused' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  LOGIN_THROTTLED: { status: 429, title: 'Too many failed logins' },
  LOGIN_UNREADABLE: { status: 400, title: 'The login body names no account' },
  DUPLICATE_HEADER: { status: 400, title: 'A header that must appear once appears several times' },
  KEYS_UNAVAILABLE: { status: 503, title: 'The signing keys could not be fetched' },
});
