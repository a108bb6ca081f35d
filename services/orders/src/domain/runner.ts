import { SpanStatusCode, currentContext, inSpan, newSpanId, remoteParent, startPeriodic, withContext, type Logger, type PeriodicLoop, type RequestContext } from '@bazaar/kit';
import type { CardVault } from './card-vault.ts';
import type { OrderRecord, OrderRepository, SagaRecord } from './model.ts';
import { runStep, stepDeadline, type InventoryPort, type PaymentsPort, type RetryPolicy, type Transition } from './saga.ts';

export interface SagaRunnerSettings {
  /** Interval of the loop that drives due sagas. */
  sweepMs: number;
  retry: RetryPolicy;
  reservationTtlSeconds: number;
}

export interface SagaRunner {
  /** Resume every unfinished saga, then keep driving due ones every sweepMs. */
  start(): void;
  /** Drive this saga now (no-op when it is already being driven here). */
  kick(orderId: string): void;
  /** Resolves when the saga ends, after `ms`, or on stop; call cancel() to stop waiting. */
  waitFor(orderId: string, ms: number): { done: Promise<void>; cancel(): void };
  /** Stop sweeping, wait for the steps in flight to be saved, then release this instance's sagas to the others. */
  stop(): Promise<void>;
  /** True once stop() was called: waits end at once from then on. */
  isStopping(): boolean;
}

/** How many due sagas one sweep picks up. */
const SWEEP_BATCH = 200;

/**
 * Drives checkout sagas: one driver per order in this process, each step's
 * result saved before the next starts, so a crash at any point resumes from
 * the last saved step (steps are idempotent remotely). Sagas run in their
 * checkout's trace, not in the request's context (whose deadline would cut
 * the background retries short).
 *
 * Across processes, a lease per saga (the repository's `lease`) keeps it to one
 * driver: a step runs only after claiming the saga, saves only while holding
 * it, and a live instance renews all its leases every third of the lease. So a
 * saga stays with the instance that accepted its checkout (the one holding the
 * card) until it ends; others take it over only when that instance released it
 * (shutdown) or stopped renewing (died).
 */
export function createSagaRunner(deps: {
  orders: OrderRepository;
  inventory: InventoryPort;
  payments: PaymentsPort;
  vault: CardVault;
  logger: Logger;
  settings: SagaRunnerSettings;
  now?: () => number;
}): SagaRunner {
  const { orders, vault, settings } = deps;
  const now = deps.now ?? Date.now;
  const active = new Map<string, Promise<void>>();
  const waiters = new Map<string, Set<() => void>>();
  /** The sweep and the lease heartbeat, while started. */
  let loops: PeriodicLoop[] = [];
  let stopping = false;

  function notify(orderId: string): void {
    for (const wake of [...(waiters.get(orderId) ?? [])]) wake();
  }

  function kick(orderId: string): void {
    if (stopping || active.has(orderId)) return;
    const run = drive(orderId)
      .catch((error: unknown) => deps.logger.error({ err: error, orderId }, 'saga driver failed; the sweep will retry'))
      .finally(() => active.delete(orderId));
    active.set(orderId, run);
  }

  async function drive(orderId: string): Promise<void> {
    const first = await orders.saga(orderId);
    if (!first || first.step === 'DONE') return;
    const log = deps.logger.child({ orderId });
    await withContext(sagaContext(orderId, first.traceparent), async () => {
      // After a step moved the saga on, its saved state (lease renewed) and the order, which moving on left as it was.
      let carried: { saga: SagaRecord; order: OrderRecord } | undefined;
      for (let steps = 0; !stopping; steps++) {
        // Claimed (renewed) before every step, and the state taken from the claim itself: another instance may hold
        // the saga, or may have taken it over while this one stalled past its lease. A step that moved the saga on
        // saved it with the lease renewed, fenced by the owner, in the same statement: that is the next step's claim.
        const saga = carried?.saga ?? (await orders.claimSaga(orderId, now()));
        if (!saga) return lost(orderId, log, steps);
        if (saga.step === 'DONE' || saga.nextAttemptAt > now()) return;
        const order = carried?.order ?? (await orders.get(orderId));
        if (!order) throw new Error(`saga ${orderId} has no order`);
        // Each step is a span of the checkout's trace, named after it, carrying the order id (the dashboard's saga timeline).
        // Before the capture its calls end by the saga's deadline at the latest (retries included): a call still
        // running then is cut, and the customer gets CANCELLED at the deadline, not a timeout or two after it.
        const transition = await withStepDeadline(stepDeadline(saga), () => inSpan(`saga ${saga.step}`, { attributes: { 'bazaar.order_id': orderId, 'bazaar.saga.step': saga.step, 'bazaar.saga.attempt': saga.attempts + 1 } }, async (span) => {
          const t = await runStep({
            saga,
            order,
            card: vault.get(orderId),
            inventory: deps.inventory,
            payments: deps.payments,
            now,
            retry: settings.retry,
            reservationTtlSeconds: settings.reservationTtlSeconds,
          });
          if (span.isRecording()) {
            span.setAttributes({ 'bazaar.saga.outcome': t.kind, ...('step' in t ? { 'bazaar.saga.next': t.step } : {}), ...('reason' in t ? { 'bazaar.saga.reason': t.reason } : {}) });
            if (t.kind === 'retry') span.setStatus({ code: SpanStatusCode.ERROR, message: t.error });
          }
          return t;
        }));
        const applied = await apply(saga, order, transition, log);
        if (!applied) return lost(orderId, log, steps + 1);
        // The saga is over: claiming it again would fail (it is DONE), which is not a lost lease.
        if (transition.kind === 'confirm' || transition.kind === 'cancel' || transition.kind === 'end') return;
        carried = applied === true ? undefined : { saga: applied, order };
      }
    });
  }

  /** Run `fn` with the current context's deadline set to `deadline` (none: as it is). */
  function withStepDeadline<T>(deadline: number | undefined, fn: () => Promise<T>): Promise<T> {
    const ctx = currentContext();
    return deadline === undefined || !ctx ? fn() : withContext({ ...ctx, deadline }, fn);
  }

  /** The saga's own context: in its checkout's trace, under the checkout's span (not the request's deadline). */
  function sagaContext(orderId: string, traceparent: string): RequestContext {
    const parent = remoteParent(traceparent);
    // Sagas saved before tracing kept a bare trace id: their steps join that trace under a fresh span id.
    if (!parent) return { requestId: `saga-${orderId}`, traceId: traceparent, spanId: newSpanId() };
    return { requestId: `saga-${orderId}`, traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags };
  }

  /** Another instance holds the saga (or ended it): leave it, and the card with it. */
  function lost(orderId: string, log: Logger, steps: number): void {
    vault.forget(orderId);
    // Before any step this is the normal outcome of two sweeps racing for a saga; after one, this instance lost its lease.
    if (steps === 0) log.debug({ owner: orders.lease.owner }, 'saga held by another instance');
    else log.warn({ owner: orders.lease.owner }, 'saga lease lost to another instance; stopped driving it');
  }

  /**
   * This instance authorized after its lease had run out (it stalled past it).
   * Whoever took the saga over has no card, so it cancels the order, and its
   * void may have come before this authorization: void it too (idempotent).
   */
  async function voidLostAuthorization(orderId: string, log: Logger): Promise<void> {
    try {
      await deps.payments.void(orderId);
      log.warn('authorized after losing the saga lease; voided that authorization');
    } catch (error) {
      log.error({ err: error }, 'authorized after losing the saga lease and could not void it; the authorization expires at the card network');
    }
  }

  /**
   * Save a step's outcome; false when this instance does not hold the saga any more (nothing was saved). A step that
   * moved the saga on gives the saga as saved, lease renewed (the next step goes on with it).
   */
  async function apply(saga: SagaRecord, order: OrderRecord, t: Transition, log: Logger): Promise<boolean | SagaRecord> {
    const id = saga.orderId;
    const at = now();
    switch (t.kind) {
      case 'advance': {
        // Authorized: the card is not needed any more.
        if (t.step === 'CAPTURING') vault.forget(id);
        const saved = await orders.advanceSaga(id, t.step, at);
        if (!saved) {
          if (t.step === 'CAPTURING') await voidLostAuthorization(id, log);
          return false;
        }
        log.info({ from: saga.step, to: t.step }, 'saga step done');
        return saved;
      }
      case 'compensate':
        vault.forget(id);
        // The customer's answer is final now (CANCELLED, with the reason); the compensations (void, release,
        // refund) go on in the background for as long as they take, so nobody waits on a frozen payments.
        if (!(await orders.cancelCompensating(id, { reason: t.reason, compensations: t.compensations, nextAttemptAt: at }, new Date(at).toISOString()))) return false;
        log.info({ from: saga.step, reason: t.reason, compensations: t.compensations }, 'order cancelled; saga compensating');
        notify(id);
        return true;
      case 'end':
        if (!(await orders.endSaga(id, new Date(at).toISOString()))) return false;
        log.info({ status: order.status }, 'saga compensations done');
        return true;
      case 'compensated':
        return orders.updateSaga(id, { compensations: t.remaining, attempts: 0, lastError: null, nextAttemptAt: at });
      case 'retry':
        if (!(await orders.updateSaga(id, { attempts: saga.attempts + 1, lastError: t.error, nextAttemptAt: t.at }))) return false;
        log[t.transient ? 'warn' : 'error']({ step: saga.step, attempts: saga.attempts + 1, error: t.error, retryInMs: t.at - at }, 'saga step failed; will retry');
        return true;
      case 'confirm':
      case 'cancel': {
        vault.forget(id);
        const outcome = t.kind === 'confirm' ? ({ status: 'CONFIRMED' } as const) : ({ status: 'CANCELLED', reason: t.reason } as const);
        if (!(await orders.finish(id, outcome, new Date(at).toISOString()))) return false;
        log.info({ from: saga.step, ...outcome, total: order.total }, 'order finished');
        notify(id);
        return true;
      }
      default: {
        const never: never = t;
        throw new Error(`unknown transition ${JSON.stringify(never)}`);
      }
    }
  }

  async function sweep(): Promise<void> {
    if (stopping) return;
    try {
      // Only sagas this instance holds or may claim; kick() claims before driving.
      for (const id of await orders.dueSagas(now(), SWEEP_BATCH)) kick(id);
      await wakeEndedElsewhere();
    } catch (error) {
      deps.logger.error({ err: error }, 'saga sweep failed');
    }
  }

  /** A checkout waiting here for a saga another instance drives (a retried key) learns of its end from the store. */
  async function wakeEndedElsewhere(): Promise<void> {
    for (const id of [...waiters.keys()]) {
      if (active.has(id)) continue;
      // Final for the customer once the order is: a cancelled order's saga may still be compensating.
      const order = await orders.get(id);
      if (!order || order.status !== 'PENDING') notify(id);
    }
  }

  /** The heartbeat: a live instance keeps every saga it holds, driven or waiting for a retry. */
  async function renew(): Promise<void> {
    if (stopping) return;
    try {
      await orders.renewLeases(now());
    } catch (error) {
      deps.logger.error({ err: error, owner: orders.lease.owner }, 'renewing saga leases failed; other instances take the sagas over if this persists');
    }
  }

  /** Passes never overlap (the next is scheduled when one ends); sweep and renew log their own failures. */
  const every = (everyMs: number, pass: () => Promise<void>): PeriodicLoop => startPeriodic({ everyMs, pass, onError: () => undefined });

  return {
    start() {
      if (loops.length > 0 || stopping) return;
      const sweeper = every(settings.sweepMs, sweep);
      loops = [sweeper, every(Math.max(1, Math.floor(orders.lease.ms / 3)), renew)];
      sweeper.kick();
    },
    kick,
    isStopping: () => stopping,
    waitFor(orderId, ms) {
      let wake = () => {};
      const done = new Promise<void>((resolve) => {
        const set = waiters.get(orderId) ?? new Set<() => void>();
        waiters.set(orderId, set);
        const timeout = setTimeout(() => wake(), Math.max(0, ms));
        wake = () => {
          clearTimeout(timeout);
          set.delete(wake);
          if (set.size === 0 && waiters.get(orderId) === set) waiters.delete(orderId);
          resolve();
        };
        set.add(wake);
        if (stopping) wake();
      });
      return { done, cancel: () => wake() };
    },
    async stop() {
      stopping = true;
      // Waits for a sweep or heartbeat in progress: the store may close right after.
      await Promise.all(loops.map((loop) => loop.stop()));
      for (const id of [...waiters.keys()]) notify(id);
      await Promise.allSettled([...active.values()]);
      try {
        // The cards die with this process: another instance may take its sagas over now rather than after the lease.
        await orders.releaseLeases();
      } catch (error) {
        deps.logger.error({ err: error, owner: orders.lease.owner }, 'releasing saga leases failed; they expire on their own');
      }
    },
  };
}
