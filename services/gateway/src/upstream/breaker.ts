export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A circuit breaker for one upstream service (all its instances): after
 * `threshold` consecutive failures it opens and requests fail fast for
 * `openMs`; then one trial request is let through (half-open) and its
 * outcome closes or reopens the circuit. Synchronous and allocation-free,
 * because it is consulted on every proxied request.
 */
export class Breaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: BreakerState = 'closed';
  /** How many times the circuit opened (a metric). */
  opened = 0;

  private readonly threshold: number;
  private readonly openMs: number;

  constructor(threshold: number, openMs: number) {
    this.threshold = threshold;
    this.openMs = openMs;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Milliseconds until a trial is allowed (0 when closed). */
  retryAfterMs(now = Date.now()): number {
    return this.current === 'open' ? Math.max(0, this.openedAt + this.openMs - now) : 0;
  }

  /** May a request go out now? In half-open, only the single trial may. */
  allow(now = Date.now()): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (now < this.openedAt + this.openMs) return false;
      this.current = 'half-open';
      this.trialInFlight = false;
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** An active health check passed: if open, allow the trial now rather than at the end of the pause. */
  healthy(): void {
    if (this.current === 'open') this.openedAt = -Infinity;
  }

  /** An attempt ended with no verdict (the client went away): free the trial slot. */
  abandon(): void {
    if (this.current === 'half-open') this.trialInFlight = false;
  }

  /** Record the outcome of one attempt. */
  record(ok: boolean, now = Date.now()): void {
    if (ok) {
      this.failures = 0;
      if (this.current !== 'closed') {
        this.current = 'closed';
        this.trialInFlight = false;
      }
      return;
    }
    this.failures += 1;
    if (this.current === 'half-open' || (this.current === 'closed' && this.failures >= this.threshold)) {
      this.current = 'open';
      this.openedAt = now;
      this.trialInFlight = false;
      this.opened += 1;
    }
  }
}
