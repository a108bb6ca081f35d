/**
 * Time as a dependency. Code whose behaviour depends on how long something
 * took (cooldowns, deadlines, expiry) takes a Clock, so that its tests run on
 * a manual clock instead of asserting on wall time, which a busy machine
 * stretches at will.
 */
export interface Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
  /** Resolve after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** The real clock: Date.now() and setTimeout. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
