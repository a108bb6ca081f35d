import { createHash } from 'node:crypto';
import type { Logger } from '@bazaar/kit';
import type { Rate } from '../config.ts';
import { MemoryBuckets, type Decision } from './bucket.ts';
import type { RedisBuckets } from './redis.ts';

/**
 * Login limits (docs/security.md, "Login throttling"): failures are counted
 * per account *from one address* (`account`), per address (`ip`), and per
 * account from every address (`accountAll`, larger). Running out of
 * `account` or `ip` stops that address only, so nobody can lock someone
 * else out from their own address; running out of `accountAll` (a
 * distributed guess) stops every address except those that logged in to
 * this account successfully in the last `knownGoodMs`.
 */
export interface LoginLimits {
  account: Rate;
  ip: Rate;
  /** Failures per account over every address; default 5x `account`. */
  accountAll?: Rate;
  /** How long an address that logged in stays trusted for that account; default 30 days. */
  knownGoodMs?: number;
}

/** A login attempt's decision, and which buckets it was charged to. */
export interface LoginDecision extends Decision {
  charged: { pair: boolean; all: boolean; ip: boolean };
}

export interface LimiterOptions {
  /** Route class -> rate. */
  classes: Map<string, Rate>;
  login: LoginLimits;
  /** Shared buckets; without it, buckets live in this process. */
  redis?: RedisBuckets;
  logger: Logger;
}

const WARN_EVERY_MS = 10_000;

/**
 * Rate limits of the gateway: a token bucket per subject (user id, or IP
 * when anonymous) and route class, plus the login limits. In memory the
 * answer is synchronous (no promise on the hot path); with Redis the
 * buckets are shared by every gateway instance, and if Redis cannot answer
 * the local buckets take over, so an outage of Redis loosens the limits to
 * per instance rather than failing requests.
 */
export class RateLimiter {
  private readonly memory = new MemoryBuckets();
  private readonly classes: Map<string, Rate>;
  private readonly login: Required<LoginLimits>;
  /** Known-good (account, address) pairs when there is no Redis: key -> expiry (ms). */
  private readonly knownGood = new Map<string, number>();
  private readonly redis: RedisBuckets | undefined;
  private readonly logger: Logger;
  private lastWarn = 0;
  /** Decisions answered locally because Redis failed (a metric). */
  fallbacks = 0;

  constructor(opts: LimiterOptions) {
    this.classes = opts.classes;
    this.login = {
      account: opts.login.account,
      ip: opts.login.ip,
      accountAll: opts.login.accountAll ?? { capacity: opts.login.account.capacity * 5, periodMs: opts.login.account.periodMs },
      knownGoodMs: opts.login.knownGoodMs ?? 30 * 24 * 3_600_000,
    };
    this.redis = opts.redis;
    this.logger = opts.logger;
  }

  /** The rate of a class, if it is limited. */
  rate(limitClass: string): Rate | undefined {
    return this.classes.get(limitClass);
  }

  /** Take one token for `subject` (e.g. `u:<id>` or `ip:<addr>`) in `limitClass`; undefined when the class is unlimited. */
  take(limitClass: string, subject: string): Decision | Promise<Decision> | undefined {
    const rate = this.classes.get(limitClass);
    if (!rate) return undefined;
    return this.takeKey(`${limitClass}:${subject}`, rate, 1);
  }

  /** A login attempt for `email` from `ip`: allowed while the account (from this address, and overall) and the address have failures left. */
  async loginAttempt(email: string, ip: string): Promise<LoginDecision> {
    const account = accountKey(email);
    const [pair, all, byIp] = await Promise.all([
      this.takeKey(`${account}:ip:${ip}`, this.login.account, 1),
      this.takeKey(account, this.login.accountAll, 1),
      this.takeKey(`login:ip:${ip}`, this.login.ip, 1),
    ]);
    // What a success gives back: only what this attempt was charged (a refused take charged nothing).
    const charged = { pair: pair.allowed, all: all.allowed, ip: byIp.allowed };
    if (!pair.allowed) return { ...pair, charged };
    if (!byIp.allowed) return { ...byIp, charged };
    // The account is under a distributed attack: only addresses it logged in from before may go on trying.
    if (!all.allowed && !(await this.isKnownGood(account, ip))) return { ...all, charged };
    return { ...(pair.remaining <= byIp.remaining ? pair : byIp), charged };
  }

  /** A login succeeded: what its attempt was charged is given back, and the address is known-good for the account. */
  async loginSucceeded(email: string, ip: string, charged: LoginDecision['charged']): Promise<void> {
    const account = accountKey(email);
    await Promise.all([
      charged.pair ? this.takeKey(`${account}:ip:${ip}`, this.login.account, -1) : undefined,
      charged.all ? this.takeKey(account, this.login.accountAll, -1) : undefined,
      charged.ip ? this.takeKey(`login:ip:${ip}`, this.login.ip, -1) : undefined,
      this.markKnownGood(account, ip),
    ]);
  }

  /** A login body naming no account (it is not forwarded): it costs the address one failure. */
  async loginUnreadable(ip: string): Promise<void> {
    await this.takeKey(`login:ip:${ip}`, this.login.ip, 1);
  }

  private async isKnownGood(account: string, ip: string): Promise<boolean> {
    const key = `${account}:good:${ip}`;
    if (this.redis) {
      try {
        return await this.redis.marked(key);
      } catch {
        // Fall through to what this instance remembers.
      }
    }
    const until = this.knownGood.get(key);
    return until !== undefined && until > Date.now();
  }

  private async markKnownGood(account: string, ip: string): Promise<void> {
    const key = `${account}:good:${ip}`;
    const now = Date.now();
    this.knownGood.delete(key);
    this.knownGood.set(key, now + this.login.knownGoodMs);
    // Bounded: the oldest entries go first (a Map iterates in insertion order).
    while (this.knownGood.size > 100_000) this.knownGood.delete(this.knownGood.keys().next().value as string);
    if (this.redis) await this.redis.mark(key, this.login.knownGoodMs).catch(() => undefined);
  }

  private takeKey(key: string, rate: Rate, cost: number): Decision | Promise<Decision> {
    if (!this.redis) return this.memory.take(key, rate, cost);
    return this.redis.take(key, rate, cost).catch((error: unknown) => {
      this.fallbacks += 1;
      const now = Date.now();
      if (now - this.lastWarn > WARN_EVERY_MS) {
        this.lastWarn = now;
        this.logger.warn({ err: error }, 'Redis rate-limit store unavailable: limiting per instance meanwhile');
      }
      return this.memory.take(key, rate, cost);
    });
  }

  async close(): Promise<void> {
    this.memory.close();
    await this.redis?.close();
  }
}

/** Bucket key of an account: a digest, so email addresses are not stored in Redis key names. */
function accountKey(email: string): string {
  return `login:account:${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 32)}`;
}
