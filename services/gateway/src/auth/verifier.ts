import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { KeysUnavailableError, Lru, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, commonErrors, type AppError, type Principal } from '@bazaar/kit';
import { errors } from '../errors.ts';

interface Verified {
  principal: Principal;
  /** The session (refresh-token family) the token was issued in. */
  fid: string | undefined;
  /** When the token expires, ms since epoch. */
  expiresAt: number;
}

const MAX_TOKEN_LENGTH = 8192;

/**
 * Verifies access tokens: EdDSA only (so `alg: none` and HS256 signed with
 * the public key are refused), issuer, audience, expiry. A verified token is
 * remembered by its exact text until it expires, in a bounded LRU, so the
 * signature is checked once per token rather than once per request.
 */
export class TokenVerifier {
  private readonly cache: Lru<string, Verified> | undefined;
  /** Tokens found bad for good (expired, forged, malformed): a client retrying one costs a lookup, not a signature check. */
  private readonly rejected: Lru<string, AppError> | undefined;
  private readonly keys: JWTVerifyGetKey;
  private readonly revoked: (fid: string | undefined) => boolean;

  constructor(opts: { keys: JWTVerifyGetKey; cacheSize: number; revoked?: (fid: string | undefined) => boolean }) {
    this.keys = opts.keys;
    this.revoked = opts.revoked ?? (() => false);
    this.cache = opts.cacheSize > 0 ? new Lru<string, Verified>(opts.cacheSize) : undefined;
    this.rejected = opts.cacheSize > 0 ? new Lru<string, AppError>(Math.min(opts.cacheSize, 1000)) : undefined;
  }

  /** The principal of a token verified before, not yet expired and of a live session, without any async work. */
  cached(token: string): Principal | undefined {
    const hit = this.cache?.get(token);
    if (hit === undefined) return undefined;
    if (hit.expiresAt <= Date.now()) {
      this.cache?.delete(token);
      return undefined;
    }
    if (this.revoked(hit.fid)) return undefined;
    return hit.principal;
  }

  /** Verify a token; throws 401 UNAUTHENTICATED for any bad token or ended session, 503 when the keys cannot be fetched. */
  async verify(token: string): Promise<Principal> {
    const known = this.cached(token);
    if (known) return known;
    const hit = this.cache?.get(token);
    if (hit !== undefined && this.revoked(hit.fid)) throw commonErrors.UNAUTHENTICATED('The session of this access token has ended (logged out); log in again.');
    if (token.length > MAX_TOKEN_LENGTH) throw commonErrors.UNAUTHENTICATED('The access token is not valid.');
    const bad = this.rejected?.get(token);
    if (bad) throw bad;
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: [TOKEN_ALGORITHM],
        requiredClaims: ['sub', 'exp'],
      });
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      const principal: Principal = { id: payload.sub as string, email: typeof payload.email === 'string' ? payload.email : '', roles };
      const fid = typeof payload.fid === 'string' ? payload.fid : undefined;
      this.cache?.set(token, { principal, fid, expiresAt: (payload.exp as number) * 1000 });
      if (!this.revoked(fid)) return principal;
    } catch (error) {
      const appError = tokenError(error);
      // Not remembered: a key id not (yet) known may be a rotation in progress, and missing keys are our problem.
      if (appError.status === 401 && !(error instanceof joseErrors.JWKSNoMatchingKey)) this.rejected?.set(token, appError);
      throw appError;
    }
    throw commonErrors.UNAUTHENTICATED('The session of this access token has ended (logged out); log in again.');
  }
}

function tokenError(error: unknown): AppError {
  if (error instanceof KeysUnavailableError) return errors.KEYS_UNAVAILABLE('The signing keys could not be fetched from identity; try again shortly.');
  if (error instanceof joseErrors.JWTExpired) return commonErrors.UNAUTHENTICATED('The access token has expired; refresh it (POST /api/identity/refresh).');
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return commonErrors.UNAUTHENTICATED('The access token is not valid (algorithm not accepted).');
  return commonErrors.UNAUTHENTICATED('The access token is not valid.');
}

/** The token of an `Authorization: Bearer <token>` header; undefined for no header, null for a malformed one. */
export function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  if (header.length < 8 || header.charCodeAt(6) !== 32 || header.slice(0, 6).toLowerCase() !== 'bearer') return null;
  const token = header.slice(7).trim();
  return token.length > 0 && !token.includes(' ') ? token : null;
}
