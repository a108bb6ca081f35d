/** Wait `ms`, or less if `signal` aborts first (never rejects): for loops that must stop promptly. */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    // Removed when the timer fires: a loop that sleeps many times must not pile listeners on one signal.
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal.addEventListener('abort', stop, { once: true });
  });
