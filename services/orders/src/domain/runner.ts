import { newSpanId, withContext, type Logger } from '@bazaar/kit';
import type { CardVault } from './card-vault.ts';
import type { OrderRecord, OrderRepository, SagaRecord } from './model.ts';
import { runStep, type InventoryPort, type PaymentsPort, type RetryPolicy, type Transition } from './saga.ts';

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
  /** Stop sweeping and wait for the steps in flight to be saved. */
  stop(): Promise<void>;
}

/** How many due sagas one sweep picks up. */
const SWEEP_BATCH = 200;

/**
 * Drives checkout sagas: one driver per order in this process, each step's
 * result saved before the next starts, so a crash at any point resumes from
 * the last saved step (steps are idempotent remotely). Sagas run in their
 * checkout's trace, not in the request's context (whose deadline would cut
 * the background retries short).
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
  let timer: NodeJS.Timeout | undefined;
  let sweeping = false;
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
    const log = deps.logger.child({ orderId, traceId: first.traceId });
    await withContext({ requestId: `saga-${orderId}`, traceId: first.traceId, spanId: newSpanId() }, async () => {
      let saga: SagaRecord | undefined = first;
      while (saga && saga.step !== 'DONE' && !stopping && saga.nextAttemptAt <= now()) {
        const order = await orders.get(orderId);
        if (!order) throw new Error(`saga ${orderId} has no order`);
        const transition = await runStep({
          saga,
          order,
          card: vault.get(orderId),
          inventory: deps.inventory,
          payments: deps.payments,
          now,
          retry: settings.retry,
          reservationTtlSeconds: settings.reservationTtlSeconds,
        });
        await apply(saga, order, transition, log);
        saga = await orders.saga(orderId);
      }
    });
  }

  async function apply(saga: SagaRecord, order: OrderRecord, t: Transition, log: Logger): Promise<void> {
    const id = saga.orderId;
    const at = now();
    switch (t.kind) {
      case 'advance':
        // Authorized: the card is not needed any more.
        if (t.step === 'CAPTURING') vault.forget(id);
        await orders.updateSaga(id, { step: t.step, attempts: 0, lastError: null, reason: null, compensations: [], nextAttemptAt: at });
        log.info({ from: saga.step, to: t.step }, 'saga step done');
        return;
      case 'compensate':
        vault.forget(id);
        await orders.updateSaga(id, { step: 'COMPENSATING', reason: t.reason, compensations: t.compensations, attempts: 0, lastError: null, nextAttemptAt: at });
        log.info({ from: saga.step, reason: t.reason, compensations: t.compensations }, 'saga compensating');
        return;
      case 'compensated':
        await orders.updateSaga(id, { compensations: t.remaining, attempts: 0, lastError: null, nextAttemptAt: at });
        return;
      case 'retry':
        await orders.updateSaga(id, { attempts: saga.attempts + 1, lastError: t.error, nextAttemptAt: t.at });
        log[t.transient ? 'warn' : 'error']({ step: saga.step, attempts: saga.attempts + 1, error: t.error, retryInMs: t.at - at }, 'saga step failed; will retry');
        return;
      case 'confirm':
      case 'cancel': {
        vault.forget(id);
        const outcome = t.kind === 'confirm' ? ({ status: 'CONFIRMED' } as const) : ({ status: 'CANCELLED', reason: t.reason } as const);
        await orders.finish(id, outcome, new Date(at).toISOString());
        log.info({ from: saga.step, ...outcome, total: order.total }, 'order finished');
        notify(id);
        return;
      }
      default: {
        const never: never = t;
        throw new Error(`unknown transition ${JSON.stringify(never)}`);
      }
    }
  }

  async function sweep(): Promise<void> {
    if (sweeping || stopping) return;
    sweeping = true;
    try {
      for (const id of await orders.dueSagas(now(), SWEEP_BATCH)) kick(id);
    } catch (error) {
      deps.logger.error({ err: error }, 'saga sweep failed');
    } finally {
      sweeping = false;
    }
  }

  return {
    start() {
      if (timer || stopping) return;
      timer = setInterval(() => void sweep(), settings.sweepMs);
      timer.unref();
      void sweep();
    },
    kick,
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
      if (timer) clearInterval(timer);
      for (const id of [...waiters.keys()]) notify(id);
      await Promise.allSettled([...active.values()]);
    },
  };
}
