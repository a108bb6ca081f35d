import type { Cart } from '@bazaar/contracts/cart';
import type { Card } from '@bazaar/contracts/payments';
import type { Money } from '@bazaar/contracts/common';
import type { OrderLine } from '@bazaar/contracts/events';
import type { OrderEmail, OrderStatus, Refund, Shipment, ShippingAddress } from '@bazaar/contracts/orders';

export type { Card, Money, OrderLine, OrderStatus, Refund, Shipment, ShippingAddress };

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
  /** Where to ship it (from the checkout request); absent on orders older than the field. */
  shippingAddress?: ShippingAddress;
  /** The customer's name as given with the address. */
  customerName?: string;
  /** The cart version (its ETag) the order was made of. */
  cartVersion?: string;
  /** Set when an admin marked it shipped. */
  shipment?: Shipment;
  /** Set when an admin refunded it. */
  refund?: Refund;
}

/** Which orders a page holds (the back office's filters; a customer's list sets only userId and status). */
export interface OrderFilter {
  userId?: string;
  status?: OrderStatus;
  /** created_at >= from (ISO 8601, UTC). */
  from?: string;
  /** created_at < before (ISO 8601, UTC). */
  before?: string;
}

/** Where a page of orders stopped: the last order's creation time and id. */
export interface OrderPosition {
  createdAt: string;
  id: string;
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
  /** The checkout's W3C traceparent (its server span), so the saga's steps join that trace; rows from before tracing hold a bare trace id. */
  traceparent: string;
}

/** A change to a saga's state. */
export type SagaPatch = Partial<Omit<SagaRecord, 'orderId' | 'traceparent'>>;

/** How the saga ends an order. */
export type Outcome = { status: 'CONFIRMED' } | { status: 'CANCELLED'; reason: string };

/**
 * One instance's hold on the sagas it drives, so that several instances on one
 * database never drive a saga at the same time (docs/shopping-flow.md, "Several
 * orders instances"). A saga is held until it ends, its holder releases it, or
 * the lease runs out without renewal (the holder died); then anyone may claim it.
 * One exception: a saga still reserving or authorizing `overdueMs` after its
 * deadline — its holder, alive, would have cancelled it at the deadline (its
 * calls are cut there) — may be claimed by anyone, to cancel it.
 */
export interface SagaLease {
  /** Who holds it: unique per process (a restarted process is a new owner). */
  owner: string;
  /** How long a claim lasts unless renewed. */
  ms: number;
  /** How long past its deadline a saga before its capture stays with a holder that has not ended it. Default OVERDUE_TAKEOVER_MS. */
  overdueMs?: number;
}

/**
 * Default `SagaLease.overdueMs`: a live holder cancels at the deadline itself
 * (a sweep interval later at most); one that has not by then is frozen or
 * dead, and the customer would otherwise wait for its lease to run out (5 s).
 */
export const OVERDUE_TAKEOVER_MS = 500;

/** Steps a saga may be taken from a live lease in, once overdue: nothing has been captured yet, so cancelling is all that can follow. */
export const OVERDUE_STEPS = ['RESERVING', 'AUTHORIZING'] as const;

/**
 * Where orders and sagas are kept (implemented by store/). A repository acts
 * for one lease owner: it claims the sagas it creates, and saves a saga's
 * progress only while it holds it.
 */
export interface OrderRepository {
  /** The owner this repository claims sagas for. */
  readonly lease: SagaLease;
  findKey(userId: string, key: string): Promise<{ orderId: string; requestHash: string } | undefined>;
  /**
   * Order, saga (claimed by this owner: it holds the card), idempotency key and
   * the claim on the order's cart version in one transaction. 'key-taken' when
   * another request holds the key; `{ versionTaken }` when a live order was
   * already made of this cart version (its id; undefined if it was cancelled meanwhile).
   */
  create(input: { order: OrderRecord; saga: SagaRecord; key: string; requestHash: string }): Promise<'created' | 'key-taken' | { versionTaken: string | undefined }>;
  /** The live order (not cancelled) this user's cart version became, if any. */
  orderOfCartVersion(userId: string, cartVersion: string): Promise<string | undefined>;
  get(id: string): Promise<OrderRecord | undefined>;
  listByUser(userId: string): Promise<OrderRecord[]>;
  /** One page of the orders `filter` selects, newest first (created_at, then id, descending), strictly after `after`; `more` when another page follows. */
  page(filter: OrderFilter, opts: { limit: number; after?: OrderPosition }): Promise<{ items: OrderRecord[]; more: boolean }>;
  /** CONFIRMED → SHIPPED with the shipment and its event, in one transaction; false (nothing changed) when the order is not CONFIRMED. */
  ship(orderId: string, shipment: Shipment): Promise<boolean>;
  /** CONFIRMED or SHIPPED → REFUNDED with the refund and its event, in one transaction; false (nothing changed) when it is in neither status. */
  refund(orderId: string, refund: Refund): Promise<boolean>;
  saga(orderId: string): Promise<SagaRecord | undefined>;
  /** Ids of unfinished sagas due at `now` that this owner holds or may claim (unowned, or lease expired), oldest first. */
  dueSagas(now: number, limit: number): Promise<string[]>;
  /**
   * Claim (or renew) an unfinished saga until `now` + lease, and return it as claimed (one statement: the claim and
   * the state it claimed); undefined when another owner's lease is still running, or the saga is finished.
   */
  claimSaga(orderId: string, now: number): Promise<SagaRecord | undefined>;
  /** Extend every unfinished saga this owner holds to `now` + lease (the heartbeat of a live instance). */
  renewLeases(now: number): Promise<void>;
  /** Let go of every saga this owner holds, so others may claim them at once (shutdown). */
  releaseLeases(): Promise<void>;
  /** Save a saga's progress; false (nothing saved) when this owner does not hold it any more. */
  updateSaga(orderId: string, patch: SagaPatch): Promise<boolean>;
  /**
   * A step done: the saga moves on to `step` (attempts, error, reason and compensations cleared, due at `now`) and its
   * lease is renewed until `now` + lease, in one statement that returns the saga as saved — what a claim at the next
   * step would have returned, so the driver goes on with it instead of claiming again. Undefined (nothing saved) when
   * this owner does not hold it any more.
   */
  advanceSaga(orderId: string, step: SagaStep, now: number): Promise<SagaRecord | undefined>;
  /** Set the final status, end the saga, release it and write the event, in one transaction. False when already final or not held by this owner. */
  finish(orderId: string, outcome: Outcome, at: string): Promise<boolean>;
  /**
   * Cancel the order now (final for the customer, event written) while the saga
   * goes on COMPENSATING with `saga`'s compensations, in one transaction.
   * False when not held by this owner or the order is no longer PENDING.
   */
  cancelCompensating(orderId: string, saga: { reason: string; compensations: Compensation[]; nextAttemptAt: number }, at: string): Promise<boolean>;
  /** End a saga whose order is already final (compensations done) and release it. False when not held by this owner. */
  endSaga(orderId: string, at: string): Promise<boolean>;
}

/* Ports: what the domain needs from the services it calls (implemented in src/upstream/). */

/** An order just confirmed, as the cart hears of it before the shopper's answer: its lines and the cart version it was made of. */
export interface OrderedFromCart {
  userId: string;
  orderId: string;
  cartVersion: string;
  items: { productId: string; quantity: number }[];
}

/** The cart, as checkout needs it. */
export interface CartPort {
  /** The user's priced cart (read at checkout). */
  pricedCart(userId: string): Promise<Cart>;
  /**
   * Take a confirmed order's lines out of the cart now (the cart applies it
   * once, also with `orders.order-confirmed`). One attempt, given up after
   * `timeoutMs`; any failure throws.
   */
  removeOrdered(order: OrderedFromCart, opts: { timeoutMs: number }): Promise<void>;
}

/** What inventory does for the saga. Transient failures throw. */
export interface InventoryPort {
  reserve(req: { orderId: string; items: { productId: string; quantity: number }[]; ttlSeconds: number }): Promise<{ ok: true } | { ok: false; productId: string | undefined; detail: string }>;
  /** 'released' when the reservation was released (or expired) and cannot be committed any more. */
  commit(orderId: string): Promise<'committed' | 'released'>;
  /** 'missing' when there is no reservation; 'committed' when it was committed. */
  release(orderId: string): Promise<'released' | 'missing' | 'committed'>;
}

/** What notifications sent about an order (the back office's order page). Failures throw. */
export interface NotificationsPort {
  emailsFor(orderId: string): Promise<OrderEmail[]>;
}

/** What payments does for the saga. Transient failures throw. */
export interface PaymentsPort {
  authorize(req: { orderId: string; amount: Money; card: Card }): Promise<{ ok: true } | { ok: false; declineCode: string }>;
  capture(orderId: string): Promise<void>;
  /** 'missing' when nothing was authorized; 'conflict' when the payment cannot be voided (captured, declined…). */
  void(orderId: string): Promise<'voided' | 'missing' | 'conflict'>;
  refund(orderId: string): Promise<void>;
  /** The payment's status, undefined when there is none. */
  status(orderId: string): Promise<string | undefined>;
}

