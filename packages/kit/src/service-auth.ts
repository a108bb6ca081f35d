import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { commonErrors } from './errors.ts';
import { SERVICE_CREDENTIAL_HEADER, audienceSecret } from './service-credentials.ts';

/**
 * Service-to-service credentials (docs/adr/0090-per-service-credentials.md).
 * Each service holds its own secret and presents to each callee a secret
 * derived for that callee, HMAC-SHA256(its secret, callee name), as
 * `<its name>:<derived>`. A callee holds only the SHA-256 digests of what its
 * callers present to it: neither its configuration nor what it receives on
 * the wire is good anywhere else, so a compromised service cannot call
 * another as its caller. Which callers a route accepts is its descriptor's
 * `access.service(...)` list.
 */

export { OPERATOR, SERVICE_CREDENTIAL_HEADER, audienceSecret, callerDigest, credentialDigest, formatCallers } from './service-credentials.ts';

/** Config keys for services that serve or call /internal routes. The launcher generates them per run. */
export const ServiceCredentialConfig = {
  BAZAAR_SERVICE_CREDENTIAL: Type.String({ minLength: 16, description: "This service's own secret for its calls to other services' /internal routes; never shared with another service" }),
  BAZAAR_SERVICE_CALLERS: Type.String({
    // Unset: no caller is accepted (every /internal route answers 401): closed, not open.
    default: '',
    description: "Who may call this service's /internal routes: `name:sha256hex` pairs, comma-separated, the SHA-256 of the secret each caller presents to this service (HMAC-SHA256 of its credential over this service's name; `npm run credentials` and the launcher compute them). Each route still names the callers it accepts",
  }),
};

/** What a service needs to call others and to check who calls it. */
export interface ServiceCredentials {
  /** This service's name, as callers' lists name it. */
  readonly name: string;
  /** `<name>:<secret derived for audience>`: the header value of this service's calls to the service `audience`. */
  headerFor(audience: string): string;
  /** Caller name → SHA-256 digest of the secret it presents to this service. */
  readonly callers: ReadonlyMap<string, Buffer>;
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Parse BAZAAR_SERVICE_CALLERS; throws naming the variable and what is wrong. */
export function parseCallers(value: string): Map<string, Buffer> {
  const callers = new Map<string, Buffer>();
  for (const pair of value.split(',')) {
    const item = pair.trim();
    if (item === '') continue;
    const colon = item.indexOf(':');
    const name = item.slice(0, colon);
    const digest = item.slice(colon + 1);
    if (colon <= 0 || !HEX_DIGEST.test(digest)) {
      throw new Error(`BAZAAR_SERVICE_CALLERS: "${item.length > 80 ? `${item.slice(0, 80)}…` : item}" is not <caller name>:<SHA-256 hex of its credential> (64 lowercase hex characters)`);
    }
    callers.set(name, Buffer.from(digest, 'hex'));
  }
  return callers;
}

/** A service's credentials from its config (BAZAAR_SERVICE_CREDENTIAL, BAZAAR_SERVICE_CALLERS). */
export function serviceCredentials(name: string, config: { BAZAAR_SERVICE_CREDENTIAL: string; BAZAAR_SERVICE_CALLERS: string }): ServiceCredentials {
  if (name.includes(':')) throw new Error(`service name "${name}" cannot carry a ":"`);
  const secret = config.BAZAAR_SERVICE_CREDENTIAL;
  // One HMAC per callee, once: clients and feed readers ask at creation, not per request.
  const headers = new Map<string, string>();
  const headerFor = (audience: string): string => {
    let header = headers.get(audience);
    if (header === undefined) headers.set(audience, (header = `${name}:${audienceSecret(secret, audience)}`));
    return header;
  };
  return { name, headerFor, callers: parseCallers(config.BAZAAR_SERVICE_CALLERS) };
}

// Compared against when the caller is unknown, so that path costs the same hash and compare.
const NO_DIGEST = Buffer.alloc(32);

/**
 * Who is calling: the caller's name when its credential verifies against the
 * digest this service holds for it; 401 when the header is missing,
 * malformed, names an unknown caller or carries the wrong secret.
 */
export function verifyCaller(credentials: ServiceCredentials, request: FastifyRequest): string {
  const given = request.headers[SERVICE_CREDENTIAL_HEADER];
  if (typeof given !== 'string' || given.length === 0) {
    throw commonErrors.UNAUTHENTICATED(`Internal endpoint: send the caller's service credential in ${SERVICE_CREDENTIAL_HEADER} as <service>:<secret>.`);
  }
  const colon = given.indexOf(':');
  const name = colon > 0 ? given.slice(0, colon) : '';
  const expected = credentials.callers.get(name);
  // One SHA-256 of a short secret per internal request (about a microsecond); digests are fixed-length, so the compare is constant-time.
  const digest = createHash('sha256').update(colon > 0 ? given.slice(colon + 1) : given).digest();
  const match = timingSafeEqual(digest, expected ?? NO_DIGEST);
  if (expected === undefined || !match) throw commonErrors.UNAUTHENTICATED('The service credential is not valid.');
  return name;
}

/**
 * Check an internal request: the credential verifies (else 401) and its
 * service is one the route accepts (else 403).
 */
export function requireService(credentials: ServiceCredentials, accepted: readonly string[]) {
  // async: fastify waits on a hook's promise; a plain function taking fewer than three arguments would have to call done().
  return async (request: FastifyRequest): Promise<void> => {
    const caller = verifyCaller(credentials, request);
    if (!accepted.includes(caller)) {
      throw commonErrors.FORBIDDEN(`The service "${caller}" may not call this route; it accepts ${accepted.length === 0 ? 'no service' : accepted.join(', ')}.`);
    }
  };
}
