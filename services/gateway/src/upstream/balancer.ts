import { Pool } from 'undici';
import type { Logger } from '@bazaar/kit';
import { Breaker } from './breaker.ts';

export interface BalancerOptions {
  connectTimeoutMs: number;
  connections: number;
  /** Consecutive failures that eject an instance. */
  ejectAfter: number;
  /** First ejection time; the n-th consecutive ejection lasts n times this (at most 10x). */
  ejectionMs: number;
  breakerFailures: number;
  breakerOpenMs: number;
  logger: Logger;
}

/** One running instance of a service, with its keep-alive pool and health. */
export class Instance {
  readonly url: string;
  readonly pool: Pool;
  inFlight = 0;
  /** From the active health checks. */
  healthy = true;
  consecutiveFailures = 0;
  ejectedUntil = 0;
  ejections = 0;
  healthFailures = 0;

  constructor(url: string, opts: Pick<BalancerOptions, 'connectTimeoutMs' | 'connections'>) {
    this.url = url;
    this.pool = new Pool(url, {
      connections: opts.connections,
      pipelining: 1,
      connect: { timeout: opts.connectTimeoutMs },
      // The deadline timer of each request is the precise limit; these only
      // catch a connection that stalls with no timer left to notice.
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
      keepAliveTimeout: 4000,
    });
  }

  /** Taken out of rotation by outlier ejection right now? */
  ejected(now: number): boolean {
    return this.ejectedUntil > now;
  }
}

/**
 * The instances of one service behind the gateway: picks one per attempt
 * (the less busy of two random available ones), takes out an instance that
 * keeps failing (outlier ejection, retried after a growing pause) or fails
 * its health checks, and guards the whole service with a circuit breaker.
 */
export class Upstream {
  readonly name: string;
  readonly instances: Instance[];
  readonly breaker: Breaker;
  private readonly opts: BalancerOptions;
  private next = 0;

  constructor(name: string, urls: string[], opts: BalancerOptions) {
    this.name = name;
    this.opts = opts;
    this.instances = urls.map((url) => new Instance(url, opts));
    this.breaker = new Breaker(opts.breakerFailures, opts.breakerOpenMs);
  }

  /**
   * An instance for the next attempt, never `exclude` when another exists.
   * When none is available (all ejected or unhealthy), all are candidates:
   * better to try than to refuse everything on stale information.
   */
  pick(exclude?: Instance, now = Date.now()): Instance | undefined {
    const all = this.instances;
    if (all.length === 1) return all[0] === exclude ? undefined : all[0];
    let a: Instance | undefined;
    let b: Instance | undefined;
    let seen = 0;
    // Reservoir-sample two available instances, starting from a rotating offset.
    const start = this.next++ % all.length;
    for (let i = 0; i < all.length; i++) {
      const candidate = all[(start + i) % all.length] as Instance;
      if (candidate === exclude || !candidate.healthy || candidate.ejected(now)) continue;
      seen += 1;
      if (a === undefined) a = candidate;
      else if (b === undefined) b = candidate;
      else if (Math.random() * seen < 1) b = candidate;
    }
    if (a === undefined) {
      const fallback = all.filter((i) => i !== exclude);
      return fallback.length === 0 ? undefined : fallback.reduce((x, y) => (y.inFlight < x.inFlight ? y : x));
    }
    return b !== undefined && b.inFlight < a.inFlight ? b : a;
  }

  /** Record one attempt's outcome on an instance (passive health). */
  record(instance: Instance, ok: boolean, now = Date.now()): void {
    this.breaker.record(ok, now);
    if (ok) {
      instance.consecutiveFailures = 0;
      return;
    }
    instance.consecutiveFailures += 1;
    if (instance.consecutiveFailures >= this.opts.ejectAfter && !instance.ejected(now)) {
      instance.ejections = Math.min(instance.ejections + 1, 10);
      instance.ejectedUntil = now + this.opts.ejectionMs * instance.ejections;
      instance.consecutiveFailures = 0;
      this.opts.logger.warn({ upstream: this.name, instance: instance.url, forMs: this.opts.ejectionMs * instance.ejections }, 'instance ejected after consecutive failures');
    }
  }

  /** Record an active health check result. */
  health(instance: Instance, ok: boolean): void {
    if (ok) {
      instance.healthFailures = 0;
      if (!instance.healthy) this.opts.logger.info({ upstream: this.name, instance: instance.url }, 'instance healthy again');
      instance.healthy = true;
      this.breaker.healthy();
      // A healthy, admitted instance slowly earns back shorter ejections.
      if (!instance.ejected(Date.now()) && instance.ejections > 0 && instance.consecutiveFailures === 0) instance.ejections -= 1;
      return;
    }
    instance.healthFailures += 1;
    if (instance.healthy && instance.healthFailures >= 2) {
      instance.healthy = false;
      this.opts.logger.warn({ upstream: this.name, instance: instance.url }, 'instance failed its health checks: out of rotation');
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.pool.close().catch(() => undefined)));
  }
}
