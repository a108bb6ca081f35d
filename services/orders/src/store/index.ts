import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isUniqueViolation, openStore, prepare, prepareCommand, sql, type Store, type StoreLocation } from '@bazaar/store';
import type { ExpressionBuilder, Kysely } from 'kysely';
import { appendEvent, type OutboxTables } from '@bazaar/messaging';
import { migrations } from '../../migrations/index.ts';
import { EVENT_SOURCE, outcomeEvent, refundedEvent, shippedEvent } from '../events.ts';
import { OVERDUE_STEPS, OVERDUE_TAKEOVER_MS, type Compensation, type OrderFilter, type OrderLine, type OrderRecord, type OrderRepository, type OrderStatus, type SagaLease, type SagaPatch, type SagaRecord, type SagaStep, type ShippingAddress } from '../domain/model.ts';

/** The orders database as Kysely sees it (see migrations/). */
export interface OrdersDatabase extends OutboxTables {
  orders: {
    id: string;
    user_id: string;
    email: string;
    status: string;
    items: string;
    total_amount: number;
    total_currency: string;
    reason: string | null;
    created_at: string;
    updated_at: string;
    /** JSON ShippingAddress; null on orders older than migration 0005. */
    shipping_address: string | null;
    customer_name: string | null;
    cart_version: string | null;
    /** Shipment and refund (migration 0007); null until they happen. */
    shipment_carrier: string | null;
    shipment_tracking: string | null;
    shipped_at: string | null;
    refunded_at: string | null;
    refund_restock: number | null;
    refund_reason: string | null;
  };
  /** Which live order each cart version became (migration 0006). */
  cart_orders: { user_id: string; cart_version: string; order_id: string; created_at: string };
  sagas: {
    order_id: string;
    step: string;
    deadline_at: string;
    next_attempt_at: string;
    attempts: number;
    last_error: string | null;
    reason: string | null;
    compensations: string;
    /** The checkout's traceparent (a bare trace id in rows from before tracing). */
    trace_id: string;
    updated_at: string;
    /** Lease owner (see SagaLease); null when nobody holds the saga. */
    owner: string | null;
    /** Epoch ms until which `owner` holds the saga. */
    lease_until: number | null;
  };
  checkout_keys: { user_id: string; idempotency_key: string; request_hash: string; order_id: string; created_at: string };
}

export type OrdersStore = Store<OrdersDatabase>;

/**
 * Open (and migrate) the orders database: PostgreSQL when configured, else
 * `<dataDir>/orders.sqlite` (or in memory for tests).
 */
export function openOrdersStore(where: StoreLocation): Promise<OrdersStore> {
  return openStore<OrdersDatabase>({ service: 'orders', migrations, ...where });
}

/**
 * A lease owner id unique to this repository: host, pid and a random part.
 * Not a stable instance name: the card vault lives in one process's memory,
 * so a restarted process must not pass for the one that held the card.
 */
export function newLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** 'DONE' written into the SQL, as the open sagas' index states its condition (migration 0008). */
const DONE = sql.lit<SagaStep>('DONE');
const MAX_LAST_ERROR = 500;

function toOrder(row: OrdersDatabase['orders']): OrderRecord {
  return {
    id: row.id,
    userId: row.user_id,
    email: row.email,
    status: row.status as OrderStatus,
    items: JSON.parse(row.items) as OrderLine[],
    total: { amount: row.total_amount, currency: row.total_currency },
    reason: row.reason,
    createdAt: row.created_at,
    ...(row.shipping_address === null ? {} : { shippingAddress: JSON.parse(row.shipping_address) as ShippingAddress }),
    ...(row.customer_name === null ? {} : { customerName: row.customer_name }),
    ...(row.cart_version === null ? {} : { cartVersion: row.cart_version }),
    ...(row.shipment_carrier === null || row.shipment_tracking === null || row.shipped_at === null
      ? {}
      : { shipment: { carrier: row.shipment_carrier, trackingNumber: row.shipment_tracking, shippedAt: row.shipped_at } }),
    ...(row.refunded_at === null
      ? {}
      : {
          refund: {
            amount: { amount: row.total_amount, currency: row.total_currency },
            restock: Number(row.refund_restock) === 1,
            ...(row.refund_reason === null ? {} : { reason: row.refund_reason }),
            refundedAt: row.refunded_at,
          },
        }),
  };
}

function toSaga(row: OrdersDatabase['sagas']): SagaRecord {
  return {
    orderId: row.order_id,
    step: row.step as SagaStep,
    deadlineAt: Date.parse(row.deadline_at),
    nextAttemptAt: Date.parse(row.next_attempt_at),
    attempts: row.attempts,
    lastError: row.last_error,
    reason: row.reason,
    compensations: JSON.parse(row.compensations) as Compensation[],
    traceparent: row.trace_id,
  };
}

/**
 * All orders queries, acting for one lease owner (default: a new one, with the
 * lease length the store was opened with). Nothing outside this folder sees SQL or rows.
 */
export function orderRepository(db: Kysely<OrdersDatabase>, lease: SagaLease): OrderRepository {
  const me = lease.owner;
  const overdueMs = lease.overdueMs ?? OVERDUE_TAKEOVER_MS;
  /**
   * Sagas this owner may claim at `now`: unowned, its own, with a lapsed lease, or overdue before the capture
   * (its deadline before `overdueBefore`, `now - overdueMs` as an ISO time).
   */
  const claimable = (now: number, overdueBefore: string) => (eb: ExpressionBuilder<OrdersDatabase, 'sagas'>) =>
    eb.or([
      eb('owner', 'is', null),
      eb('owner', '=', me),
      eb('lease_until', '<', now),
      eb.and([eb('step', 'in', [...OVERDUE_STEPS]), eb('deadline_at', '<', overdueBefore)]),
    ]);

  // The statements every checkout runs (its request, its saga's steps to CONFIRMED, finishing it), compiled once
  // (prepare: Kysely would build and compile each on every call, ~18 a checkout). The owner is this repository's
  // own, so it stays a constant of the statements. Statements whose shape follows the values (updateSaga's patch,
  // the admin page's filters) and the rare ones (ship, refund, the sweeps) are built per call below.
  const keyOf = prepare(db, ['userId', 'key'], (d, p) => d.selectFrom('checkout_keys').select(['order_id', 'request_hash']).where('user_id', '=', p.userId).where('idempotency_key', '=', p.key));
  const orderOfVersion = prepare(db, ['userId', 'cartVersion'], (d, p) => d.selectFrom('cart_orders').select('order_id').where('user_id', '=', p.userId).where('cart_version', '=', p.cartVersion));
  const orderById = prepare(db, ['id'], (d, p) => d.selectFrom('orders').selectAll().where('id', '=', p.id));
  const sagaById = prepare(db, ['orderId'], (d, p) => d.selectFrom('sagas').selectAll().where('order_id', '=', p.orderId));
  const insertOrder = prepareCommand(db, ['id', 'userId', 'email', 'status', 'items', 'totalAmount', 'totalCurrency', 'reason', 'createdAt', 'shippingAddress', 'customerName', 'cartVersion'], (d, p) =>
    d
      .insertInto('orders')
      .values({
        id: p.id,
        user_id: p.userId,
        email: p.email,
        status: p.status,
        items: p.items,
        total_amount: p.totalAmount,
        total_currency: p.totalCurrency,
        reason: p.reason,
        created_at: p.createdAt,
        updated_at: p.createdAt,
        shipping_address: p.shippingAddress,
        customer_name: p.customerName,
        cart_version: p.cartVersion,
        shipment_carrier: null,
        shipment_tracking: null,
        shipped_at: null,
        refunded_at: null,
        refund_restock: null,
        refund_reason: null,
      }),
  );
  const insertCartOrder = prepareCommand(db, ['userId', 'cartVersion', 'orderId', 'createdAt'], (d, p) =>
    d.insertInto('cart_orders').values({ user_id: p.userId, cart_version: p.cartVersion, order_id: p.orderId, created_at: p.createdAt }),
  );
  const insertSaga = prepareCommand(db, ['orderId', 'step', 'deadlineAt', 'nextAttemptAt', 'attempts', 'lastError', 'reason', 'compensations', 'traceparent', 'updatedAt', 'leaseUntil'], (d, p) =>
    d.insertInto('sagas').values({
      order_id: p.orderId,
      step: p.step,
      deadline_at: p.deadlineAt,
      next_attempt_at: p.nextAttemptAt,
      attempts: p.attempts,
      last_error: p.lastError,
      reason: p.reason,
      compensations: p.compensations,
      trace_id: p.traceparent,
      updated_at: p.updatedAt,
      // Claimed by the instance that accepted the checkout: only it holds the card.
      owner: me,
      lease_until: p.leaseUntil,
    }),
  );
  const insertKey = prepareCommand(db, ['userId', 'key', 'requestHash', 'orderId', 'createdAt'], (d, p) =>
    d.insertInto('checkout_keys').values({ user_id: p.userId, idempotency_key: p.key, request_hash: p.requestHash, order_id: p.orderId, created_at: p.createdAt }),
  );
  const claim = prepare(db, ['orderId', 'leaseUntil', 'now', 'overdueBefore'], (d, p) =>
    d.updateTable('sagas').set({ owner: me, lease_until: p.leaseUntil }).where('order_id', '=', p.orderId).where('step', '!=', 'DONE').where(claimable(p.now, p.overdueBefore)).returningAll(),
  );
  const advance = prepare(db, ['orderId', 'updatedAt', 'step', 'nextAttemptAt', 'leaseUntil'], (d, p) =>
    d
      .updateTable('sagas')
      .set({ updated_at: p.updatedAt, step: p.step, attempts: 0, last_error: null, reason: null, compensations: '[]', next_attempt_at: p.nextAttemptAt, lease_until: p.leaseUntil })
      .where('order_id', '=', p.orderId)
      .where('owner', '=', me)
      .returningAll(),
  );
  const end = prepareCommand(db, ['orderId', 'updatedAt'], (d, p) =>
    d.updateTable('sagas').set({ step: 'DONE', compensations: '[]', updated_at: p.updatedAt, owner: null, lease_until: null }).where('order_id', '=', p.orderId).where('owner', '=', me),
  );
  const endWithReason = prepareCommand(db, ['orderId', 'reason', 'updatedAt'], (d, p) =>
    d.updateTable('sagas').set({ step: 'DONE', reason: p.reason, compensations: '[]', updated_at: p.updatedAt, owner: null, lease_until: null }).where('order_id', '=', p.orderId).where('owner', '=', me),
  );
  const finalOrder = prepareCommand(db, ['id', 'status', 'reason', 'updatedAt'], (d, p) =>
    d.updateTable('orders').set({ status: p.status, reason: p.reason, updated_at: p.updatedAt }).where('id', '=', p.id).where('status', '=', 'PENDING'),
  );
  const freeCartVersion = prepareCommand(db, ['orderId'], (d, p) => d.deleteFrom('cart_orders').where('order_id', '=', p.orderId));

  /** The order as the transaction now sees it, after it changed it: its event is written from it. */
  async function changedOrder(trx: Kysely<OrdersDatabase>, id: string): Promise<OrderRecord> {
    const [row] = await orderById({ id }, trx);
    if (!row) throw new Error(`order ${id} not found`);
    return toOrder(row);
  }
  async function orderOfCartVersion(userId: string, cartVersion: string): Promise<string | undefined> {
    const [claimed] = await orderOfVersion({ userId, cartVersion });
    return claimed?.order_id;
  }
  return {
    lease,

    async findKey(userId, key) {
      const [row] = await keyOf({ userId, key });
      return row ? { orderId: row.order_id, requestHash: row.request_hash } : undefined;
    },

    async create(input) {
      const { order, saga, key, requestHash } = input;
      try {
        await db.transaction().execute(async (trx) => {
          await insertOrder(
            {
              id: order.id,
              userId: order.userId,
              email: order.email,
              status: order.status,
              items: JSON.stringify(order.items),
              totalAmount: order.total.amount,
              totalCurrency: order.total.currency,
              reason: order.reason,
              createdAt: order.createdAt,
              shippingAddress: order.shippingAddress === undefined ? null : JSON.stringify(order.shippingAddress),
              customerName: order.customerName ?? null,
              cartVersion: order.cartVersion ?? null,
            },
            trx,
          );
          if (order.cartVersion !== undefined) {
            await insertCartOrder({ userId: order.userId, cartVersion: order.cartVersion, orderId: order.id, createdAt: order.createdAt }, trx);
          }
          await insertSaga(
            {
              orderId: saga.orderId,
              step: saga.step,
              deadlineAt: iso(saga.deadlineAt),
              nextAttemptAt: iso(saga.nextAttemptAt),
              attempts: saga.attempts,
              lastError: saga.lastError,
              reason: saga.reason,
              compensations: JSON.stringify(saga.compensations),
              traceparent: saga.traceparent,
              updatedAt: order.createdAt,
              leaseUntil: Date.now() + lease.ms,
            },
            trx,
          );
          // Written last but in the same transaction: when another request holds the key, all of it rolls back.
          await insertKey({ userId: order.userId, key, requestHash, orderId: order.id, createdAt: order.createdAt }, trx);
        });
        return 'created';
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Which unique key was hit: the idempotency key wins (a retry gets its own order back).
        const [key] = await keyOf({ userId: order.userId, key: input.key });
        if (key || order.cartVersion === undefined) return 'key-taken';
        return { versionTaken: await orderOfCartVersion(order.userId, order.cartVersion) };
      }
    },

    orderOfCartVersion,

    async get(id) {
      const [row] = await orderById({ id });
      return row ? toOrder(row) : undefined;
    },

    async listByUser(userId) {
      const rows = await db.selectFrom('orders').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toOrder);
    },

    async page(filter: OrderFilter, opts) {
      let query = db.selectFrom('orders').selectAll();
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
      if (filter.before !== undefined) query = query.where('created_at', '<', filter.before);
      const after = opts.after;
      if (after !== undefined) {
        query = query.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute();
      return { items: rows.slice(0, opts.limit).map(toOrder), more: rows.length > opts.limit };
    },

    async ship(orderId, shipment) {
      return db.transaction().execute(async (trx) => {
        // Conditional on the status: of two racing admins, one ships and one finds it shipped.
        const result = await trx
          .updateTable('orders')
          .set({ status: 'SHIPPED', shipment_carrier: shipment.carrier, shipment_tracking: shipment.trackingNumber, shipped_at: shipment.shippedAt, updated_at: shipment.shippedAt })
          .where('id', '=', orderId)
          .where('status', '=', 'CONFIRMED')
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        await appendEvent(trx, EVENT_SOURCE, shippedEvent(await changedOrder(trx, orderId), shipment));
        return true;
      });
    },

    async refund(orderId, refund) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('orders')
          .set({ status: 'REFUNDED', refunded_at: refund.refundedAt, refund_restock: refund.restock ? 1 : 0, refund_reason: refund.reason ?? null, updated_at: refund.refundedAt })
          .where('id', '=', orderId)
          .where('status', 'in', ['CONFIRMED', 'SHIPPED'])
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        await appendEvent(trx, EVENT_SOURCE, refundedEvent(await changedOrder(trx, orderId), refund));
        return true;
      });
    },

    async saga(orderId) {
      const [row] = await sagaById({ orderId });
      return row ? toSaga(row) : undefined;
    },

    async dueSagas(now, limit) {
      const rows = await db
        .selectFrom('sagas')
        .select('order_id')
        // A literal, as the partial index sagas_open_due says it (migration 0008): a bound 'DONE' would leave SQLite
        // unable to match the two, and the sweep would read every saga ever.
        .where('step', '<>', DONE)
        .where('next_attempt_at', '<=', iso(now))
        .where(claimable(now, iso(now - overdueMs)))
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.order_id);
    },

    async updateSaga(orderId, patch: SagaPatch) {
      const set: Partial<OrdersDatabase['sagas']> = { updated_at: new Date().toISOString() };
      if (patch.step !== undefined) set.step = patch.step;
      if (patch.deadlineAt !== undefined) set.deadline_at = iso(patch.deadlineAt);
      if (patch.nextAttemptAt !== undefined) set.next_attempt_at = iso(patch.nextAttemptAt);
      if (patch.attempts !== undefined) set.attempts = patch.attempts;
      if (patch.lastError !== undefined) set.last_error = patch.lastError === null ? null : patch.lastError.slice(0, MAX_LAST_ERROR);
      if (patch.reason !== undefined) set.reason = patch.reason;
      if (patch.compensations !== undefined) set.compensations = JSON.stringify(patch.compensations);
      // Fenced by the owner: a driver whose lease was taken over cannot overwrite the new holder's progress.
      const result = await db.updateTable('sagas').set(set).where('order_id', '=', orderId).where('owner', '=', me).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async advanceSaga(orderId, step, now) {
      // Fenced by the owner like updateSaga; the lease renewed as claimSaga would (the next step's claim, saved here).
      const [row] = await advance({ orderId, updatedAt: new Date().toISOString(), step, nextAttemptAt: iso(now), leaseUntil: now + lease.ms });
      return row ? toSaga(row) : undefined;
    },

    async claimSaga(orderId, now) {
      // One conditional UPDATE decides between racing instances: on PostgreSQL the
      // loser waits for the winner's row lock and then re-checks the condition; SQLite has one writer at a time.
      // RETURNING gives the row as the claim left it, so the driver need not read it again.
      const [claimed] = await claim({ orderId, leaseUntil: now + lease.ms, now, overdueBefore: iso(now - overdueMs) });
      return claimed ? toSaga(claimed) : undefined;
    },

    async renewLeases(now) {
      await db.updateTable('sagas').set({ lease_until: now + lease.ms }).where('owner', '=', me).where('step', '!=', 'DONE').execute();
    },

    async releaseLeases() {
      await db.updateTable('sagas').set({ owner: null, lease_until: null }).where('owner', '=', me).execute();
    },

    async cancelCompensating(orderId, saga, at) {
      return db.transaction().execute(async (trx) => {
        const held = await trx
          .updateTable('sagas')
          .set({ step: 'COMPENSATING', reason: saga.reason, compensations: JSON.stringify(saga.compensations), attempts: 0, last_error: null, next_attempt_at: iso(saga.nextAttemptAt), updated_at: at })
          .where('order_id', '=', orderId)
          .where('owner', '=', me)
          .where('step', '!=', 'DONE')
          .executeTakeFirst();
        if (Number(held.numUpdatedRows) === 0) return false;
        // Already final (cancelled before a crash, or by an older version): the saga's compensations go on all the same.
        if ((await finalOrder({ id: orderId, status: 'CANCELLED', reason: saga.reason, updatedAt: at }, trx)) === 0n) return true;
        // A cancelled order frees its cart version: the same cart may be checked out again.
        await freeCartVersion({ orderId }, trx);
        await appendEvent(trx, EVENT_SOURCE, outcomeEvent(await changedOrder(trx, orderId), { status: 'CANCELLED', reason: saga.reason }, at));
        return true;
      });
    },

    async endSaga(orderId, at) {
      return (await end({ orderId, updatedAt: at })) === 1n;
    },

    async finish(orderId, outcome, at) {
      return db.transaction().execute(async (trx) => {
        const reason = outcome.status === 'CANCELLED' ? outcome.reason : null;
        // Only the holder ends the saga, and ending it releases the lease.
        if ((await endWithReason({ orderId, reason, updatedAt: at }, trx)) === 0n) return false;
        // Only a PENDING order becomes final, so the event is written exactly once.
        if ((await finalOrder({ id: orderId, status: outcome.status, reason, updatedAt: at }, trx)) === 0n) return false;
        // A cancelled order frees its cart version: the same cart may be checked out again.
        if (outcome.status === 'CANCELLED') await freeCartVersion({ orderId }, trx);
        await appendEvent(trx, EVENT_SOURCE, outcomeEvent(await changedOrder(trx, orderId), outcome, at));
        return true;
      });
    },
  };
}
