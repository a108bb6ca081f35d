/**
 * Browser sessions. The browser holds one random id in an httpOnly,
 * SameSite=Lax cookie (Secure when the page came over TLS); the tokens
 * identity issued stay on the server. An access token about to expire is
 * refreshed before the request goes on, once per session even when several
 * requests arrive together (identity treats a reused refresh token as theft
 * and revokes the whole family).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@bazaar/kit';
import type { Session, SessionRepository } from './domain/model.ts';
import { upstreamFailure, type Caller, type Me, type ShopApi, type TokenPair } from './upstream/shop.ts';

export const SESSION_COOKIE = 'bazaar_session';
/** Refresh when the access token has less than this left. */
const REFRESH_MARGIN_MS = 30_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in session, if any. */
    session: Session | undefined;
  }
}

/** Whether the page was requested over TLS: the gateway says so in X-Forwarded-Proto. */
export function overTls(request: FastifyRequest): boolean {
  const proto = request.headers['x-forwarded-proto'];
  return proto === 'https' || request.protocol === 'https';
}

export function cookieOptions(request: FastifyRequest, maxAgeSeconds?: number) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: overTls(request), ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }) };
}

const hashId = (id: string): string => createHash('sha256').update(id).digest('base64url');

/** The caller for shop API calls made on behalf of this request. */
export function callerOf(request: FastifyRequest): Caller {
  return request.session ? { token: request.session.accessToken } : undefined;
}

export interface Sessions {
  /** Load the request's session (refreshing its tokens when due). */
  load(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Start a session for freshly issued tokens; sets the cookie. */
  signIn(request: FastifyRequest, reply: FastifyReply, tokens: TokenPair, me: Me): Promise<Session>;
  /** End the session on the server and in the browser. */
  signOut(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  rememberPrices(session: Session, prices: Record<string, number>): Promise<void>;
}

export function createSessions(deps: { repo: SessionRepository; api: ShopApi; ttlSeconds: number; logger: Logger; now?: () => number }): Sessions {
  const now = deps.now ?? Date.now;
  const refreshing = new Map<string, Promise<Session | undefined>>();

  async function refresh(session: Session): Promise<Session | undefined> {
    let tokens: TokenPair;
    try {
      tokens = await deps.api.refresh(session.refreshToken);
    } catch (error) {
      const failure = upstreamFailure(error);
      // Identity refused the refresh token (expired, revoked, reused): the session is over.
      if (failure && failure.status === 401) {
        await deps.repo.delete(session.idHash);
        return undefined;
      }
      throw error;
    }
    const updated: Session = {
      ...session,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: now() + tokens.expiresIn * 1000,
      expiresAt: now() + deps.ttlSeconds * 1000,
    };
    await deps.repo.updateTokens(session.idHash, updated);
    return updated;
  }

  return {
    async load(request, reply) {
      const id = request.cookies[SESSION_COOKIE];
      if (!id) return;
      const idHash = hashId(id);
      let session = await deps.repo.find(idHash, now());
      if (session && session.accessExpiresAt - now() < REFRESH_MARGIN_MS) {
        let pending = refreshing.get(idHash);
        if (!pending) {
          pending = refresh(session).finally(() => refreshing.delete(idHash));
          refreshing.set(idHash, pending);
        }
        session = await pending;
      }
      if (!session) {
        reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
        return;
      }
      request.session = session;
    },
    async signIn(request, reply, tokens, me) {
      const old = request.cookies[SESSION_COOKIE];
      if (old) await deps.repo.delete(hashId(old));
      // A fresh id at every sign-in: a session id planted before login is worthless after it.
      const id = randomBytes(32).toString('base64url');
      const session: Session = {
        idHash: hashId(id),
        userId: me.id,
        email: me.email,
        name: me.name,
        roles: me.roles,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        accessExpiresAt: now() + tokens.expiresIn * 1000,
        seenPrices: {},
        createdAt: new Date(now()).toISOString(),
        expiresAt: now() + deps.ttlSeconds * 1000,
      };
      await deps.repo.create(session);
      reply.setCookie(SESSION_COOKIE, id, cookieOptions(request, deps.ttlSeconds));
      request.session = session;
      return session;
    },
    async signOut(request, reply) {
      const id = request.cookies[SESSION_COOKIE];
      if (id) await deps.repo.delete(hashId(id));
      request.session = undefined;
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    },
    async rememberPrices(session, prices) {
      session.seenPrices = prices;
      await deps.repo.updateSeenPrices(session.idHash, prices);
    },
  };
}
