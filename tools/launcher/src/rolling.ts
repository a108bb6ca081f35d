import type { ProcessInfo } from './supervisor.ts';

/** What a rolling restart needs of one instance (a SupervisedProcess fits). */
export interface RollingInstance {
  readonly name: string;
  info(): ProcessInfo;
  restart(): Promise<void>;
  whenReady(timeoutMs: number): Promise<void>;
}

export interface RollingStep {
  name: string;
  pidBefore: number | undefined;
  pidAfter: number | undefined;
  /** From SIGTERM to ready again. */
  ms: number;
}

export interface RollingOptions {
  /** How long one instance may take to be ready again before the roll stops. */
  readyTimeoutMs: number;
  /**
   * Pause after an instance is ready before the next one goes down. Callers
   * skip an instance that refused a connection for 2 s (the kit's client):
   * waiting longer puts the restarted one back in their rotation first.
   */
  settleMs: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** A roll that stopped part-way: what was done, and why it stopped. */
export class RollingRestartError extends Error {
  readonly steps: RollingStep[];
  /** 409: refused before touching the instance (another one is not serving); 502: an instance did not come back. */
  readonly status: 409 | 502;
  constructor(message: string, steps: RollingStep[], status: 409 | 502) {
    super(message);
    this.steps = steps;
    this.status = status;
  }
}

/**
 * Restart every instance of one service, one at a time: SIGTERM (the
 * instance drains its requests and flushes its outbox relay), start, wait
 * for /readyz, settle, next. An instance is only taken down while every
 * other instance is ready, so a scaled service keeps serving throughout; a
 * single instance is down for its restart. Stops at the first instance that
 * does not come back, leaving the rest untouched.
 */
export async function rollingRestart(instances: readonly RollingInstance[], opts: RollingOptions): Promise<RollingStep[]> {
  const steps: RollingStep[] = [];
  for (const [i, instance] of instances.entries()) {
    if (i > 0 && opts.settleMs > 0) await new Promise((r) => setTimeout(r, opts.settleMs));
    const down = instances.filter((other) => other !== instance && other.info().state !== 'ready');
    if (down.length > 0) {
      const which = down.map((o) => `${o.name} is ${o.info().state}`).join(', ');
      throw new RollingRestartError(`not restarting ${instance.name}: ${which}, so the service would have no instance serving`, steps, 409);
    }
    const pidBefore = instance.info().pid;
    const t0 = Date.now();
    opts.log?.(`↻ rolling restart ${i + 1}/${instances.length}: ${instance.name} (pid ${pidBefore ?? '–'})`);
    await instance.restart();
    try {
      await instance.whenReady(opts.readyTimeoutMs);
    } catch (error) {
      throw new RollingRestartError(`${(error as Error).message}; the remaining instances were not restarted`, steps, 502);
    }
    steps.push({ name: instance.name, pidBefore, pidAfter: instance.info().pid, ms: Date.now() - t0 });
  }
  return steps;
}
