/**
 * The pure parts of the service credentials (service-auth.ts, ADR 0090): the header, the operator's name, and the
 * derivations the launcher and `npm run credentials` also compute. Nothing here loads more than node:crypto, so the
 * launcher can import it (`@bazaar/kit/service-credentials`) without the rest of the kit.
 */
import { createHash, createHmac } from 'node:crypto';

export { OPERATOR } from '@bazaar/contracts/route';

/** Header carrying `<caller name>:<secret>` on calls to /internal routes. */
export const SERVICE_CREDENTIAL_HEADER = 'x-bazaar-service-credential';

/** SHA-256 (hex) of a presented secret. */
export function credentialDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The secret a caller presents to one service: HMAC-SHA256 of its own credential over the callee's name (base64url). */
export function audienceSecret(credential: string, audience: string): string {
  return createHmac('sha256', credential).update(audience).digest('base64url');
}

/** What the service `audience` holds for a caller whose credential is `credential`: the SHA-256 (hex) of its secret for that audience. */
export function callerDigest(credential: string, audience: string): string {
  return credentialDigest(audienceSecret(credential, audience));
}

/** Format BAZAAR_SERVICE_CALLERS: `name:digest` pairs, comma-separated (no quoting needed in env files, compose or kustomize). */
export function formatCallers(digests: Readonly<Record<string, string>>): string {
  return Object.entries(digests).map(([name, digest]) => `${name}:${digest}`).join(',');
}
