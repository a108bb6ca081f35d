import { createHash } from 'node:crypto';
import type { Logger } from '@bazaar/kit';
import type { Rate } from '../config.ts';
import { MemoryBuckets, type Decision } from './bucket.ts';
import type { RedisBuckets } from './redis.ts';

export interface LimiterOptions {
  /** Route class -> rate. */
  classes: Map<string, Rate>;
  login: { account: Rate; ip: Rate };
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
  private readonly login: { account: Rate; ip: Rate };
  private readonly redis: RedisBuckets | undefined;
  private readonly logger: Logger;
  private lastWarn = 0;
  /** Decisions answered locally because Redis failed (a metric). */
  fallbacks = 0;

  constructor(opts: LimiterOptions) {
    this.classes = opts.classes;
    this.login = opts.login;
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

  /** A login attempt for `email` from `ip`: allowed only while both the account and the IP have failures left. */
  async loginAttempt(email: string, ip: string): Promise<Decision> {
    const [account, byIp] = await Promise.all([
      this.takeKey(accountKey(email), this.login.account, 1),
      this.takeKey(`login:ip:${ip}`, this.login.ip, 1),
    ]);
    if (!account.allowed) return account;
    return byIp.allowed ? (account.remaining <= byIp.remaining ? account : byIp) : byIp;
  }

  /** A login succeeded: its attempt does not count as a failure. */
  async loginSucceeded(email: string, ip: string): Promise<void> {
    await Promise.all([this.takeKey(accountKey(email), this.login.account, -1), this.takeKey(`login:ip:${ip}`, this.login.ip, -1)]);
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
