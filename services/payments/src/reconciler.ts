import { startPeriodic, type Logger } from '@bazaar/kit';

export interface Reconciler {
  /** Stop scheduling and wait for a pass in progress, so the store can close after it. */
  stop(): Promise<void>;
}

/**
 * Run the reconciliation sweep every `intervalMs` in the background: passes
 * never overlap, a failing pass is logged and the next one tries again, and
 * the timer does not keep the process alive.
 */
export function startReconciler(opts: {
  intervalMs: number;
  reconcile: () => Promise<{ checked: number; voided: number; failed: number }>;
  logger: Logger;
}): Reconciler {
  return startPeriodic({
    everyMs: opts.intervalMs,
    async pass() {
      const result = await opts.reconcile();
      // A stale intent is the trace of a crash or freeze between a PSP call and its commit: worth a warning.
      if (result.checked > 0) opts.logger.warn(result, 'reconciled payment intents whose PSP answer was never recorded');
    },
    onError: (error) => opts.logger.error({ err: error }, 'payment reconciliation failed; will retry'),
  });
}
