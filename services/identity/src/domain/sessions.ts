import { randomUUID } from 'node:crypto';
import type { Logger } from '@bazaar/kit';
import type { TokenPair } from '@bazaar/contracts/identity';
import { errors } from '../errors.ts';
import { normalizeEmail } from './accounts.ts';
import type { KeyRing } from './keys.ts';
import type { Clock, RefreshTokenRepository, User, UserRepository } from './model.ts';
import { dummyHash, verifyPassword } from './passwords.ts';
import { hashRefreshToken, newRefreshToken, signAccessToken } from './tokens.ts';

export interface SessionDeps {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  keys: KeyRing;
  clock: Clock;
  accessTtlSeconds: number;
  /** Sliding: an unused refresh token expires after this long. */
  refreshTtlSeconds: number;
  /** Absolute: a session (token family) ends this long after the login, however often it is refreshed. */
  sessionMaxSeconds: number;
  logger: Logger;
}

// One message for a wrong password and an unknown email, so the answer does not reveal which emails have accounts.
const BAD_CREDENTIALS = 'The email or password is incorrect.';
const BAD_REFRESH = 'The refresh token is not valid or has expired; log in again.';

/**
 * Logins and refresh-token rotation (OAuth 2.0 Security BCP, RFC 9700 §4.14.2):
 * each refresh token works once; presenting one that was already rotated
 * means two parties hold it, so its whole family is revoked.
 */
export function createSessions(deps: SessionDeps) {
  const { users, refreshTokens, clock, logger } = deps;

  async function issue(user: User, session: { familyId: string; startedMs: number }, nowMs: number, rotateFrom?: string): Promise<TokenPair> {
    const { familyId } = session;
    const refresh = newRefreshToken();
    const next = {
      id: randomUUID(),
      tokenHash: refresh.hash,
      userId: user.id,
      familyId,
      createdAt: new Date(nowMs).toISOString(),
      expiresAt: new Date(Math.min(nowMs + deps.refreshTtlSeconds * 1000, session.startedMs + deps.sessionMaxSeconds * 1000)).toISOString(),
    };
    if (rotateFrom === undefined) {
      await refreshTokens.insert(next);
    } else if ((await refreshTokens.rotate({ fromId: rotateFrom, next, at: next.createdAt })) === 'stale') {
      // Someone presented the same token a moment earlier: the same reuse as below.
      await revoke(familyId, user.id, nowMs);
      throw errors.INVALID_REFRESH_TOKEN(BAD_REFRESH);
    }
    // The access token never outlives its session.
    const ttlSeconds = Math.max(1, Math.min(deps.accessTtlSeconds, Math.floor((session.startedMs + deps.sessionMaxSeconds * 1000 - nowMs) / 1000)));
    const accessToken = await signAccessToken(deps.keys, user, { nowMs, ttlSeconds, familyId });
    return { accessToken, refreshToken: refresh.token, tokenType: 'Bearer', expiresIn: ttlSeconds };
  }

  async function revoke(familyId: string, userId: string, nowMs: number): Promise<void> {
    const revoked = await refreshTokens.revokeFamily(familyId, new Date(nowMs).toISOString());
    logger.warn({ userId, familyId, revoked }, 'refresh token reused after rotation: token family revoked');
  }

  return {
    /** Check a password and start a new token family; INVALID_CREDENTIALS otherwise. */
    async login(input: { email: string; password: string }): Promise<TokenPair> {
      const user = await users.findByEmail(normalizeEmail(input.email));
      // Verify against a dummy hash for unknown emails so both paths cost the same.
      const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyHash()));
      if (!user || !ok) throw errors.INVALID_CREDENTIALS(BAD_CREDENTIALS);
      const nowMs = clock();
      return issue(user, { familyId: randomUUID(), startedMs: nowMs }, nowMs);
    },

    /** Exchange a refresh token for a new pair; the presented one stops working. */
    async refresh(token: string): Promise<TokenPair> {
      const nowMs = clock();
      const record = await refreshTokens.findByHash(hashRefreshToken(token));
      if (!record || record.revokedAt !== null) throw errors.INVALID_REFRESH_TOKEN(BAD_REFRESH);
      if (record.usedAt !== null) {
        await revoke(record.familyId, record.userId, nowMs);
        throw errors.INVALID_REFRESH_TOKEN(BAD_REFRESH);
      }
      if (Date.parse(record.expiresAt) <= nowMs) throw errors.INVALID_REFRESH_TOKEN(BAD_REFRESH);
      const started = Date.parse((await refreshTokens.familyStartedAt(record.familyId)) ?? record.createdAt);
      if (started + deps.sessionMaxSeconds * 1000 <= nowMs) throw errors.INVALID_REFRESH_TOKEN(BAD_REFRESH);
      const user = await users.findById(record.userId);
      if (!user) throw errors.INVALID_REFRESH_TOKEN(BAD_REFRESH);
      return issue(user, { familyId: record.familyId, startedMs: started }, nowMs, record.id);
    },

    /** End the session a refresh token belongs to (idempotent; an unknown token is not an error, so logout never reveals anything). */
    async logout(token: string): Promise<void> {
      const record = await refreshTokens.findByHash(hashRefreshToken(token));
      if (!record || record.revokedAt !== null) return;
      const revoked = await refreshTokens.revokeFamily(record.familyId, new Date(clock()).toISOString());
      logger.info({ userId: record.userId, familyId: record.familyId, revoked }, 'logged out: token family revoked');
    },

    /** Families revoked within the access-token lifetime: their access tokens may still be live, so the edge refuses them. */
    async revokedSessions(): Promise<{ families: string[]; accessTokenTtlSeconds: number }> {
      const since = new Date(clock() - deps.accessTtlSeconds * 1000 - 60_000).toISOString();
      return { families: await refreshTokens.revokedSince(since), accessTokenTtlSeconds: deps.accessTtlSeconds };
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
