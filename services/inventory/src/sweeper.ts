import type { Logger } from '@bazaar/kit';

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
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const pass = async () => {
    try {
      const released = await opts.sweep();
      if (released > 0) opts.logger.info({ released }, 'expired reservations released');
    } catch (error) {
      opts.logger.error({ err: error }, 'reservation sweep failed; will retry');
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().then(schedule);
    }, opts.intervalMs);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
