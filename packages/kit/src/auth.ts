import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { commonErrors } from './errors.ts';
import { identityKeySource } from './jwks.ts';
import { Lru } from './lru.ts';

/** Who made the request, from a verified access token. */
export interface Principal {
  id: string;
  email: string;
  roles: string[];
}

/** Issuer and audience of Bazaar access tokens. */
export const TOKEN_ISSUER = 'bazaar-identity';
export const TOKEN_AUDIENCE = 'bazaar';
/** The only signature algorithm accepted (asymmetric; `none` and HS* are refused). */
export const TOKEN_ALGORITHM = 'EdDSA';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export interface Authenticator {
  /** Verify a bearer token; throws UNAUTHENTICATED (401) or UPSTREAM_UNAVAILABLE (503, keys unreachable). */
  verify(token: string): Promise<Principal>;
  /**
   * Hook: a valid token is required. Use it as `onRequest` (not preHandler)
   * on routes with a body, so an anonymous caller gets 401 before any 400.
   */
  requireUser(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Hook (use as onRequest): a valid token carrying `role` is required (401 without a token, 403 without the role). */
  requireRole(role: string): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** preHandler: reads a token when there is one, never rejects for its absence. */
  optionalUser(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/**
 * Key source fetching identity's JWKS (see identityKeySource): cached,
 * refetched when an unknown key id appears so a rotated key is accepted at
 * once; `identityUrl` may list several instances (comma-separated).
 */
export function remoteKeys(identityUrl: string): JWTVerifyGetKey {
  return identityKeySource({ identityUrl }).getKey;
}

export interface AuthenticatorOptions {
  /**
   * How many verified tokens are remembered (least recently used out first); 0 checks every token's signature on
   * every request. Default 10,000.
   */
  cacheSize?: number;
  /** Milliseconds since the epoch (a test's manual clock); default Date.now. Expiry is judged by it. */
  now?: () => number;
}

/** A verified token's principal and when the token expires (ms since epoch). */
interface Verified {
  principal: Principal;
  expiresAt: number;
}

/**
 * Build the verifier services use to check callers' access tokens.
 *
 * A verified token is remembered by its exact text until it expires (ADR 0094), as the gateway does (ADR 0009): an
 * EdDSA signature check costs ~220 µs of CPU and a shopper sends the same token with every request for its five
 * minutes. Any change to the text (a claim, the signature) is another key, checked in full; an expired token is
 * checked in full again, and so refused as expired.
 */
export function createAuthenticator(keys: JWTVerifyGetKey, opts: AuthenticatorOptions = {}): Authenticator {
  const now = opts.now ?? Date.now;
  const cacheSize = opts.cacheSize ?? 10_000;
  const verified = cacheSize > 0 ? new Lru<string, Verified>(cacheSize) : undefined;

  async function verify(token: string): Promise<Principal> {
    const hit = verified?.get(token);
    if (hit !== undefined) {
      if (hit.expiresAt > now()) return hit.principal;
      verified?.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: [TOKEN_ALGORITHM],
        requiredClaims: ['sub', 'exp'],
        ...(opts.now ? { currentDate: new Date(now()) } : {}),
      });
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      const principal: Principal = { id: payload.sub as string, email: typeof payload.email === 'string' ? payload.email : '', roles };
      verified?.set(token, { principal, expiresAt: (payload.exp as number) * 1000 });
      return principal;
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) {
        throw commonErrors.UPSTREAM_UNAVAILABLE('The signing keys could not be fetched from identity; try again shortly.');
      }
      if (error instanceof joseErrors.JWTExpired) throw commonErrors.UNAUTHENTICATED('The access token has expired; refresh it.');
      throw commonErrors.UNAUTHENTICATED('The access token is not valid.');
    }
  }

  async function fromRequest(request: FastifyRequest): Promise<Principal | undefined> {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    if (!match) throw commonErrors.UNAUTHENTICATED('The Authorization header must be "Bearer <token>".');
    return verify(match[1] as string);
  }

  async function requireUser(request: FastifyRequest): Promise<void> {
    const principal = await fromRequest(request);
    if (!principal) throw commonErrors.UNAUTHENTICATED('Send an access token: Authorization: Bearer <token> (POST /api/identity/login).');
    request.principal = principal;
  }

  return {
    verify,
    requireUser,
    requireRole(role) {
      return async (request) => {
        await requireUser(request);
        if (!request.principal?.roles.includes(role)) throw commonErrors.FORBIDDEN(`This operation needs the "${role}" role.`);
      };
    },
    async optionalUser(request) {
      request.principal = await fromRequest(request);
    },
  };
}

/** The principal of a request that passed requireUser/requireRole. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw commonErrors.UNAUTHENTICATED('Authentication required.');
  return request.principal;
}
