import { startPeriodic, type Logger } from '@bazaar/kit';

export interface Sweeper {
  /** Stop scheduling and wait for a pass in progress, so the store can close after it. */
  stop(): Promise<void>;
}

/**
 * Run `sweep` every `intervalMs` in the background. Passes never overlap (the
 * next is scheduled when one ends), a failing pass is logged and the next one
 * tries again, and the timer does not keep the process alive.
 */
export function startSweeper(opts: { intervalMs: number; sweep: () => Promise<number>; logger: Logger }): Sweeper {
  const loop = startPeriodic({
    everyMs: opts.intervalMs,
    pass: async () => {
      const released = await opts.sweep();
      if (released > 0) opts.logger.info({ released }, 'expired reservations released');
    },
    onError: (error) => opts.logger.error({ err: error }, 'reservation sweep failed; will retry'),
  });
  return { stop: () => loop.stop() };
}
