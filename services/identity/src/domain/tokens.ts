import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@bazaar/kit';
import type { KeyRing } from './keys.ts';

const REFRESH_TOKEN_BYTES = 32;

/** Sign a short-lived access token for a user (RFC 7519 claims plus email, roles and the session's family id). */
export async function signAccessToken(
  ring: KeyRing,
  user: { id: string; email: string; roles: string[] },
  opts: { nowMs: number; ttlSeconds: number; familyId: string },
): Promise<string> {
  const iat = Math.floor(opts.nowMs / 1000);
  // fid: the session (refresh-token family); the gateway refuses tokens of a revoked one (docs/adr/0085-sessions-and-revocation.md).
  return new SignJWT({ email: user.email, roles: user.roles, fid: opts.familyId })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: ring.signing.kid })
    .setSubject(user.id)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + opts.ttlSeconds)
    .setJti(randomUUID())
    .sign(ring.signing.key);
}

/** A new opaque refresh token (32 random bytes, base64url) and the hash that is stored instead of it. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/**
 * SHA-256 of a refresh token, base64url. A fast hash is enough: the token
 * has 256 bits of entropy, so a leaked table cannot be brute-forced.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
