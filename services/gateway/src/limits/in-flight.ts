/**
 * How many requests one user may have in flight to one service at once
 * (issue 11: a burst of 50 concurrent cart writes by one user timed out at
 * the gateway and opened the cart's breaker for everyone). Past the bound the
 * gateway answers 429 itself: the request never reaches the service, so it
 * cannot count against the breaker that every other user depends on.
 *
 * Per gateway instance, in memory: a counter that is incremented and
 * decremented around each exchange has no use for a shared store, and with N
 * instances a user's bound is at most N times this one.
 */
export class InFlightLimiter {
  private readonly counts = new Map<string, number>();
  /** Requests refused so far (a metric). */
  refused = 0;

  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Take a slot for `key` (user and service); false when it already has `max` in flight. */
  acquire(key: string): boolean {
    const count = this.counts.get(key) ?? 0;
    if (count >= this.max) {
      this.refused += 1;
      return false;
    }
    this.counts.set(key, count + 1);
    return true;
  }

  /** Give back a slot taken by acquire(). */
  release(key: string): void {
    const count = (this.counts.get(key) ?? 1) - 1;
    if (count <= 0) this.counts.delete(key);
    else this.counts.set(key, count);
  }
}
