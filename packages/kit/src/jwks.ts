import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { instanceUrls } from './instances.ts';
import { HttpPool } from './http-pool.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Logger } from './logger.ts';

const JWKS_PATH = '/.well-known/jwks.json';

/** The JWKS could not be fetched and none is cached: tokens cannot be checked right now. */
export class KeysUnavailableError extends Error {}

export interface KeySourceOptions {
  /** Identity's base URL, or its instances comma-separated; the JWKS is `<url>/.well-known/jwks.json`. */
  identityUrl: string;
  logger?: Logger;
  fetchTimeoutMs?: number;
  /** Refetch in the background when the keys are older than this. */
  maxAgeMs?: number;
  /** At most one fetch per this long, however many unknown key ids arrive. */
  cooldownMs?: number;
  /** Time for the cooldown and the keys' age (tests pass a manual clock). */
  clock?: Clock;
}

/** Identity's signing keys, cached, refetched when an unknown key id appears. */
export interface KeySource {
  getKey: JWTVerifyGetKey;
  /** Fetch now (start-up warm-up); never throws. */
  warm(): Promise<boolean>;
  /** Whether a key set has been loaded. */
  loaded(): boolean;
}

/**
 * Unlike jose's createRemoteJWKSet, a token whose key id is unknown during
 * the cooldown waits for the next allowed fetch instead of failing: right
 * after identity rotates its key, the first tokens signed with the new key
 * are accepted, while a flood of made-up key ids still costs identity at
 * most one request per cooldown. A failed refresh keeps the last good keys.
 * With several identity instances, a fetch asks the next one when one cannot
 * answer. Used by every service (through remoteKeys) and by the gateway.
 */
export function identityKeySource(opts: KeySourceOptions): KeySource {
  const sources = instanceUrls(opts.identityUrl).map((base) => ({ url: `${base}${JWKS_PATH}`, pool: new HttpPool(base, { connections: 2 }) }));
  const urls = sources.map((source) => source.url);
  const fetchTimeoutMs = opts.fetchTimeoutMs ?? 2000;
  const maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
  const cooldownMs = opts.cooldownMs ?? 1000;
  const clock = opts.clock ?? systemClock;
  let local: JWTVerifyGetKey | undefined;
  let fetchedAt = 0;
  let lastAttempt = -Infinity;
  let inflight: Promise<void> | undefined;
  /** Key ids found missing from the key set fetched at `fetchedAt`: asked again, they fail at once instead of waiting. */
  const missing = new Map<string, number>();

  let preferred = 0;
  async function fetchFrom({ url, pool }: (typeof sources)[number]): Promise<JSONWebKeySet> {
    const res = await pool.request({ method: 'GET', path: JWKS_PATH, signal: AbortSignal.timeout(fetchTimeoutMs), headers: { accept: 'application/json' } });
    if (res.statusCode !== 200) throw new Error(`JWKS at ${url} answered ${res.statusCode}`);
    const body = JSON.parse(res.text) as JSONWebKeySet;
    if (!body || !Array.isArray(body.keys)) throw new Error(`JWKS at ${url} has no "keys" array`);
    return body;
  }

  async function fetchKeys(): Promise<void> {
    lastAttempt = clock.now();
    let lastError: unknown;
    for (let step = 0; step < sources.length; step++) {
      const i = (preferred + step) % sources.length;
      try {
        local = createLocalJWKSet(await fetchFrom(sources[i] as (typeof sources)[number]));
        fetchedAt = clock.now();
        preferred = i;
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** One fetch at a time; concurrent callers share it. */
  function reload(): Promise<void> {
    inflight ??= fetchKeys()
      .catch((error: unknown) => {
        opts.logger?.warn({ err: error, urls }, 'could not fetch the JWKS');
        throw error;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  async function reloadAfterCooldown(): Promise<void> {
    const wait = lastAttempt + cooldownMs - clock.now();
    if (wait > 0) await clock.sleep(wait);
    await (inflight ?? (clock.now() - lastAttempt >= cooldownMs ? reload() : Promise.resolve()));
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!local) {
      try {
        await (inflight ?? reload());
      } catch {
        throw new KeysUnavailableError('the JWKS could not be fetched');
      }
    } else if (clock.now() - fetchedAt > maxAgeMs && !inflight && clock.now() - lastAttempt >= cooldownMs) {
      reload().catch(() => undefined);
    }
    try {
      return await (local as JWTVerifyGetKey)(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      const kid = String(header.kid);
      if (missing.get(kid) === fetchedAt) throw error;
      // An unknown key id: identity may have rotated its key since the last fetch.
      // A fetch already under way (another caller's miss) is likely to bring it: wait for that one first.
      if (inflight) {
        await inflight.catch(() => undefined);
        try {
          return await (local as JWTVerifyGetKey)(header, token);
        } catch (afterInflight) {
          if (!(afterInflight instanceof joseErrors.JWKSNoMatchingKey)) throw afterInflight;
        }
      }
      await reloadAfterCooldown().catch(() => undefined);
      try {
        return await (local as JWTVerifyGetKey)(header, token);
      } catch (again) {
        if (again instanceof joseErrors.JWKSNoMatchingKey) {
          if (missing.size >= 1000) missing.clear();
          missing.set(kid, fetchedAt);
        }
        throw again;
      }
    }
  };

  return {
    getKey,
    loaded: () => local !== undefined,
    async warm() {
      try {
        await (inflight ?? reload());
        return true;
      } catch {
        return false;
      }
    },
  };
}
