import type { Card } from '@bazaar/contracts/payments';
import type { Money } from '@bazaar/contracts/common';
import type { OrderLine } from '@bazaar/contracts/events';
import type { OrderStatus } from '@bazaar/contracts/orders';

export type { Card, Money, OrderLine, OrderStatus };

/** An order as the domain sees it. */
export interface OrderRecord {
  id: string;
  userId: string;
  /** The buyer's email from the checkout's token, for the order's events. */
  email: string;
  status: OrderStatus;
  items: OrderLine[];
  total: Money;
  reason: string | null;
  createdAt: string;
}

/** The saga's position. DONE means the order is CONFIRMED or CANCELLED. */
export type SagaStep = 'RESERVING' | 'AUTHORIZING' | 'CAPTURING' | 'COMMITTING' | 'COMPENSATING' | 'DONE';

/** Undo actions, run in order while COMPENSATING. */
export type Compensation = 'void' | 'release' | 'refund';

/** The durable state of one checkout saga. Times are epoch milliseconds. */
export interface SagaRecord {
  orderId: string;
  step: SagaStep;
  /** Until when the payment may still be captured; past it, the saga compensates. */
  deadlineAt: number;
  nextAttemptAt: number;
  /** Failed attempts of the current step. */
  attempts: number;
  lastError: string | null;
  /** Why the order is being cancelled (COMPENSATING only). */
  reason: string | null;
  compensations: Compensation[];
  traceId: string;
}

/** A change to a saga's state. */
export type SagaPatch = Partial<Omit<SagaRecord, 'orderId' | 'traceId'>>;

/** How the saga ends an order. */
export type Outcome = { status: 'CONFIRMED' } | { status: 'CANCELLED'; reason: string };

/** Where orders and sagas are kept (implemented by store/). */
export interface OrderRepository {
  findKey(userId: string, key: string): Promise<{ orderId: string; requestHash: string } | undefined>;
  /** Order, saga and idempotency key in one transaction; 'key-taken' when another request holds the key. */
  create(input: { order: OrderRecord; saga: SagaRecord; key: string; requestHash: string }): Promise<'created' | 'key-taken'>;
  get(id: string): Promise<OrderRecord | undefined>;
  listByUser(userId: string): Promise<OrderRecord[]>;
  saga(orderId: string): Promise<SagaRecord | undefined>;
  /** Ids of unfinished sagas whose next attempt is due at `now`, oldest first. */
  dueSagas(now: number, limit: number): Promise<string[]>;
  updateSaga(orderId: string, patch: SagaPatch): Promise<void>;
  /** Set the final status, end the saga and write the event, in one transaction. False when already final. */
  finish(orderId: string, outcome: Outcome, at: string): Promise<boolean>;
}
