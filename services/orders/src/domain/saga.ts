import { AppError, UpstreamError, backoffDelay } from '@bazaar/kit';
import type { Card, Compensation, InventoryPort, OrderRecord, PaymentsPort, SagaRecord, SagaStep } from './model.ts';

export type { InventoryPort, PaymentsPort } from './model.ts';

/**
 * The checkout saga (docs/shopping-flow.md, "The checkout saga"):
 * reserve stock → authorize → capture → commit the reservation → CONFIRMED.
 * Business failures compensate at once; transient failures are retried until
 * the deadline, and past it (before capture) the saga compensates. After the
 * capture it only moves forward. Every remote call is idempotent by order id,
 * so running a step again after a crash is safe.
 */

/** Reasons an order is cancelled, as the customer reads them. */
export const reasons = {
  insufficientStock: (what: string) => `insufficient stock: ${what}`,
  declined: (code: string) => `payment declined: ${code}`,
  timedOut: 'payment could not be completed in time',
  cardLost: 'payment details were lost in a restart; please check out again',
  reservationLost: 'the reserved stock was released before the order could be completed; the payment was refunded',
  refused: (what: string, code: string) => `${what} refused the order: ${code}`,
} as const;

/**
 * A refusal no retry can change: a 4xx answer other than 408 (timeout) and
 * 429 (slow down). Such an answer ends the saga at once with its true reason,
 * instead of being retried until the deadline and reported as "in time".
 */
export function permanentRefusal(error: unknown): { upstream: string; code: string } | undefined {
  if (!(error instanceof UpstreamError)) return undefined;
  const status = error.upstreamStatus;
  if (status < 400 || status >= 500 || status === 408 || status === 429) return undefined;
  return { upstream: error.upstream, code: typeof error.problem?.code === 'string' ? error.problem.code : `HTTP ${status}` };
}

/** What happens after one step. */
export type Transition =
  | { kind: 'advance'; step: Exclude<SagaStep, 'COMPENSATING' | 'DONE'> }
  | { kind: 'compensate'; reason: string; compensations: Compensation[] }
  | { kind: 'compensated'; remaining: Compensation[] }
  | { kind: 'confirm' }
  | { kind: 'cancel'; reason: string }
  /** Compensations done for an order already CANCELLED (at the start of compensating): the saga ends. */
  | { kind: 'end' }
  | { kind: 'retry'; at: number; error: string; transient: boolean };

export interface StepContext {
  saga: SagaRecord;
  order: OrderRecord;
  /** The card, while it is still held in memory. */
  card: Card | undefined;
  inventory: InventoryPort;
  payments: PaymentsPort;
  now: () => number;
  retry: RetryPolicy;
  reservationTtlSeconds: number;
}

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

/** Steps before the capture: these give up at the deadline. */
const BEFORE_CAPTURE: ReadonlySet<SagaStep> = new Set(['RESERVING', 'AUTHORIZING', 'CAPTURING']);

/**
 * When the calls of the saga's current step must have ended: its deadline
 * before the capture (past it the saga compensates, so a call still running
 * would only keep the customer waiting), none after it (it only moves forward).
 */
export function stepDeadline(saga: Pick<SagaRecord, 'step' | 'deadlineAt'>): number | undefined {
  return BEFORE_CAPTURE.has(saga.step) ? saga.deadlineAt : undefined;
}

/** What must be undone when a saga gives up in `step`; a call may have succeeded unseen, so undo it too. */
function undoFrom(step: SagaStep): Compensation[] {
  return step === 'RESERVING' ? ['release'] : ['void', 'release'];
}

/** Run the saga's current step once and say what follows. */
export async function runStep(ctx: StepContext): Promise<Transition> {
  const { saga, now } = ctx;
  // Checked first: after a restart this, not the deadline, is what the customer needs to know.
  if (!ctx.card && (saga.step === 'RESERVING' || saga.step === 'AUTHORIZING')) {
    return { kind: 'compensate', reason: reasons.cardLost, compensations: undoFrom(saga.step) };
  }
  if (BEFORE_CAPTURE.has(saga.step) && now() >= saga.deadlineAt) {
    return { kind: 'compensate', reason: reasons.timedOut, compensations: undoFrom(saga.step) };
  }
  try {
    return await perform(ctx);
  } catch (error) {
    return afterFailure(ctx, error);
  }
}

async function perform(ctx: StepContext): Promise<Transition> {
  const { saga, order, inventory, payments } = ctx;
  const step = saga.step;
  switch (step) {
    case 'RESERVING': {
      const items = order.items.map((l) => ({ productId: l.productId, quantity: l.quantity }));
      const result = await inventory.reserve({ orderId: order.id, items, ttlSeconds: ctx.reservationTtlSeconds });
      if (result.ok) return { kind: 'advance', step: 'AUTHORIZING' };
      // All or nothing: a refused reservation holds nothing, so there is nothing to undo.
      return { kind: 'cancel', reason: reasons.insufficientStock(productName(order, result)) };
    }
    case 'AUTHORIZING': {
      const card = ctx.card;
      if (!card) return { kind: 'compensate', reason: reasons.cardLost, compensations: undoFrom(step) };
      const result = await payments.authorize({ orderId: order.id, amount: order.total, card });
      if (result.ok) return { kind: 'advance', step: 'CAPTURING' };
      return { kind: 'compensate', reason: reasons.declined(result.declineCode), compensations: ['release'] };
    }
    case 'CAPTURING':
      await payments.capture(order.id);
      return { kind: 'advance', step: 'COMMITTING' };
    case 'COMMITTING': {
      const result = await inventory.commit(order.id);
      if (result === 'committed') return { kind: 'confirm' };
      // The money is taken but the stock is gone (the reservation expired while
      // inventory was unreachable): give the money back rather than confirm an order we cannot ship.
      return { kind: 'compensate', reason: reasons.reservationLost, compensations: ['refund'] };
    }
    case 'COMPENSATING':
      return compensate(ctx);
    case 'DONE':
      throw new Error(`saga ${order.id} is finished`);
    default: {
      const never: never = step;
      throw new Error(`unknown saga step ${String(never)}`);
    }
  }
}

/** Run the next compensation; when none is left, cancel. */
async function compensate(ctx: StepContext): Promise<Transition> {
  const { saga, order, inventory, payments } = ctx;
  const [next, ...rest] = saga.compensations;
  if (next === undefined) return order.status === 'PENDING' ? { kind: 'cancel', reason: saga.reason ?? reasons.timedOut } : { kind: 'end' };
  switch (next) {
    case 'void': {
      const result = await payments.void(order.id);
      if (result === 'conflict' && (await payments.status(order.id)) === 'CAPTURED') {
        // A capture we did not see went through (a capture call timed out, then the deadline passed).
        // The customer was told CANCELLED when compensating began, and a final answer never changes: give the money back.
        if (order.status === 'CANCELLED') return { kind: 'compensated', remaining: ['refund', ...rest] };
        // A saga that began compensating before orders cancelled at once (an older version) still goes forward.
        return { kind: 'advance', step: 'COMMITTING' };
      }
      return { kind: 'compensated', remaining: rest };
    }
    case 'release':
      // 'committed' cannot happen before a capture; either way there is nothing left to release.
      await inventory.release(order.id);
      return { kind: 'compensated', remaining: rest };
    case 'refund':
      await payments.refund(order.id);
      return { kind: 'compensated', remaining: rest };
    default: {
      const never: never = next;
      throw new Error(`unknown compensation ${String(never)}`);
    }
  }
}

/**
 * A failed call: before the capture, retry until the deadline, then
 * compensate; after it (and while compensating), retry until it works.
 */
function afterFailure(ctx: StepContext, error: unknown): Transition {
  const { saga, now } = ctx;
  const at = now() + retryDelayMs(saga.attempts, ctx.retry);
  const transient = isTransient(error);
  const message = error instanceof Error ? error.message : String(error);
  const refusal = permanentRefusal(error);
  if (refusal && (saga.step === 'RESERVING' || saga.step === 'AUTHORIZING')) {
    return { kind: 'compensate', reason: reasons.refused(refusal.upstream, refusal.code), compensations: undoFrom(saga.step) };
  }
  if (BEFORE_CAPTURE.has(saga.step)) {
    if (now() >= saga.deadlineAt) return { kind: 'compensate', reason: reasons.timedOut, compensations: undoFrom(saga.step) };
    // Wake up at the deadline at the latest, to compensate on time.
    return { kind: 'retry', at: Math.min(at, saga.deadlineAt), error: message, transient };
  }
  return { kind: 'retry', at, error: message, transient };
}

/** Exponential backoff with jitter (half fixed, half random), capped. */
export function retryDelayMs(attempts: number, policy: RetryPolicy): number {
  return backoffDelay(attempts + 1, { ...policy, jitter: 'equal' });
}

/** Timeouts, refused connections, open breakers and 5xx: worth retrying. Anything else is unexpected (still retried, but logged as an error). */
export function isTransient(error: unknown): boolean {
  if (error instanceof UpstreamError) return error.upstreamStatus >= 500 || error.upstreamStatus === 429;
  return error instanceof AppError && (error.code === 'UPSTREAM_UNAVAILABLE' || error.code === 'UPSTREAM_TIMEOUT');
}

/** The name of the product inventory could not reserve, from the order's own lines. */
function productName(order: OrderRecord, refusal: { productId: string | undefined; detail: string }): string {
  const byId = order.items.find((l) => l.productId === refusal.productId);
  if (byId) return byId.name;
  const mentioned = order.items.find((l) => refusal.detail.includes(l.productId) || refusal.detail.includes(l.name));
  if (mentioned) return mentioned.name;
  return order.items.length === 1 ? (order.items[0]?.name ?? 'an item of your order') : 'an item of your order';
}
