import type { Clock } from '@bazaar/kit';

/**
 * Wait `ms`, or less if `signal` aborts first (never rejects): for loops that must stop promptly. On `clock` when
 * given (tests pass a manual one), else on a real timer that an abort clears.
 */
export const sleep = (ms: number, signal: AbortSignal, clock?: Clock): Promise<void> =>
  new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    // Removed once slept: a loop that sleeps many times must not pile listeners on one signal.
    const done = () => {
      signal.removeEventListener('abort', stop);
      resolve();
    };
    signal.addEventListener('abort', stop, { once: true });
    if (clock) void clock.sleep(ms).then(done);
    else timer = setTimeout(done, ms);
  });
