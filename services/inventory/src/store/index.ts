import { openStore, prepare, prepareCommand, type Store, type StoreLocation } from '@bazaar/store';
import type { Kysely, Transaction } from 'kysely';
import { appendEvent, type InboxTables, type OutboxTables } from '@bazaar/messaging';
import type { StockChangedData } from '@bazaar/contracts/events';
import { migrations } from '../../migrations/index.ts';
import type { AdjustmentRecord, InventoryRepository, ReleaseReason, ReservationLine, ReservationRecord, ReservationState, ReserveOutcome, SettleOutcome, StockRecord } from '../domain/model.ts';

/** Inventory's own tables, plus the outbox it publishes from and the inbox it consumes into. */
export interface InventoryTables extends OutboxTables, InboxTables {
  stock: { product_id: string; available: number; reserved: number; committed: number; updated_at: string };
  reservations: {
    order_id: string;
    status: ReservationState;
    expires_at: string;
    release_reason: ReleaseReason | null;
    created_at: string;
    updated_at: string;
  };
  reservation_items: { order_id: string; product_id: string; quantity: number; line: number };
  stock_adjustments: { id: string; product_id: string; delta: number; available: number; reason: string; by_id: string; by_email: string; at: string };
}

export type InventoryStore = Store<InventoryTables>;
type Db = Kysely<InventoryTables> | Transaction<InventoryTables>;

/** Open (and migrate) inventory's own database. */
export function openInventoryStore(where: StoreLocation): Promise<InventoryStore> {
  return openStore<InventoryTables>({ service: 'inventory', migrations, ...where });
}

/** Thrown inside a reserve transaction to roll it back; never leaves this module. */
class Shortfall extends Error {
  readonly outcome: Extract<ReserveOutcome, { kind: 'insufficient' }>;
  constructor(outcome: Extract<ReserveOutcome, { kind: 'insufficient' }>) {
    super('insufficient stock');
    this.outcome = outcome;
  }
}

/** Publish the new available count, in the transaction that changed it. */
async function stockChanged(trx: Db, productId: string, available: number): Promise<void> {
  const data: StockChangedData = { productId, available };
  await appendEvent(trx, 'inventory', { type: 'inventory.stock-changed', subject: productId, data });
}

/**
 * Create a product's stock row with `available` units unless it exists (then
 * nothing changes). Runs in the caller's transaction, so the catalog consumer
 * can record the event as handled in the same commit. Returns whether it created one.
 */
export async function createStockIfMissing(trx: Db, opts: { productId: string; available: number; now: string }): Promise<boolean> {
  const inserted = await trx
    .insertInto('stock')
    .values({ product_id: opts.productId, available: opts.available, reserved: 0, committed: 0, updated_at: opts.now })
    .onConflict((oc) => oc.column('product_id').doNothing())
    .returning('product_id')
    .executeTakeFirst();
  if (!inserted) return false;
  await stockChanged(trx, opts.productId, opts.available);
  return true;
}

/** Reservations due for expiry at `now`: all of them, or one order's, or those holding some products. */
function dueQuery(db: Kysely<InventoryTables>, opts: { now: string; limit: number; orderId?: string | undefined; productIds?: readonly string[] | undefined }) {
  let due = db
    .selectFrom('reservations')
    .select('reservations.order_id')
    .where('reservations.status', '=', 'RESERVED')
    .where('reservations.expires_at', '<=', opts.now)
    .orderBy('reservations.expires_at')
    .limit(opts.limit);
  if (opts.orderId !== undefined) due = due.where('reservations.order_id', '=', opts.orderId);
  if (opts.productIds !== undefined) {
    const productIds = opts.productIds;
    due = due.where((eb) =>
      eb.exists(
        eb
          .selectFrom('reservation_items')
          .select('reservation_items.order_id')
          .whereRef('reservation_items.order_id', '=', 'reservations.order_id')
          .where('reservation_items.product_id', 'in', productIds),
      ),
    );
  }
  return due;
}

/**
 * The statements every checkout runs (reserve, then commit or release, each
 * after the lazy expiry of the order and of what it holds) and the product
 * page's stock read, compiled once per database (prepare): Kysely would build
 * and compile each on every call, some once per line of the order. Run on a
 * transaction by passing it as the second argument.
 */
function checkoutStatements(db: Kysely<InventoryTables>) {
  return {
    stock: prepare(db, ['productId'], (d, p) => d.selectFrom('stock').selectAll().where('product_id', '=', p.productId)),
    reservation: prepare(db, ['orderId'], (d, p) => d.selectFrom('reservations').selectAll().where('order_id', '=', p.orderId)),
    linesInOrder: prepare(db, ['orderId'], (d, p) => d.selectFrom('reservation_items').select(['product_id', 'quantity']).where('order_id', '=', p.orderId).orderBy('line')),
    linesByProduct: prepare(db, ['orderId'], (d, p) => d.selectFrom('reservation_items').select(['product_id', 'quantity']).where('order_id', '=', p.orderId).orderBy('product_id')),
    open: prepare(db, ['orderId', 'expiresAt', 'now'], (d, p) =>
      d
        .insertInto('reservations')
        .values({ order_id: p.orderId, status: 'RESERVED', expires_at: p.expiresAt, release_reason: null, created_at: p.now, updated_at: p.now })
        .onConflict((oc) => oc.column('order_id').doNothing())
        .returning('order_id'),
    ),
    take: prepare(db, ['productId', 'quantity', 'now'], (d, p) =>
      d
        .updateTable('stock')
        .set((eb) => ({ available: eb('available', '-', p.quantity), reserved: eb('reserved', '+', p.quantity), updated_at: p.now }))
        .where('product_id', '=', p.productId)
        .where('available', '>=', p.quantity)
        .returning('available'),
    ),
    giveBack: prepare(db, ['productId', 'quantity', 'now'], (d, p) =>
      d
        .updateTable('stock')
        .set((eb) => ({ available: eb('available', '+', p.quantity), reserved: eb('reserved', '-', p.quantity), updated_at: p.now }))
        .where('product_id', '=', p.productId)
        .where('reserved', '>=', p.quantity)
        .returning('available'),
    ),
    sell: prepareCommand(db, ['productId', 'quantity', 'now'], (d, p) =>
      d
        .updateTable('stock')
        .set((eb) => ({ reserved: eb('reserved', '-', p.quantity), committed: eb('committed', '+', p.quantity), updated_at: p.now }))
        .where('product_id', '=', p.productId)
        .where('reserved', '>=', p.quantity),
    ),
    commit: prepare(db, ['orderId', 'now'], (d, p) =>
      d.updateTable('reservations').set({ status: 'COMMITTED', updated_at: p.now }).where('order_id', '=', p.orderId).where('status', '=', 'RESERVED').returning('order_id'),
    ),
    release: prepare(db, ['orderId', 'now'], (d, p) =>
      d.updateTable('reservations').set({ status: 'RELEASED', release_reason: 'released', updated_at: p.now }).where('order_id', '=', p.orderId).where('status', '=', 'RESERVED').returning('order_id'),
    ),
    // The two shapes of the lazy expiry a checkout and a product page run; other shapes (the sweep, several products) are built per call.
    dueOfOrder: prepare(db, ['now', 'limit', 'orderId'], (d, p) => dueQuery(d, { now: p.now, limit: p.limit, orderId: p.orderId })),
    dueHolding: prepare(db, ['now', 'limit', 'productId'], (d, p) => dueQuery(d, { now: p.now, limit: p.limit, productIds: [p.productId] })),
  };
}

type Statements = ReturnType<typeof checkoutStatements>;

async function readReservation(s: Statements, db: Db, orderId: string): Promise<ReservationRecord | undefined> {
  const [row] = await s.reservation({ orderId }, db);
  if (!row) return undefined;
  const items = await s.linesInOrder({ orderId }, db);
  return {
    orderId: row.order_id,
    status: row.status,
    items: items.map((i) => ({ productId: i.product_id, quantity: Number(i.quantity) })),
    expiresAt: row.expires_at,
    releaseReason: row.release_reason,
  };
}

async function itemsOf(s: Statements, trx: Db, orderId: string): Promise<ReservationLine[]> {
  const rows = await s.linesByProduct({ orderId }, trx);
  return rows.map((r) => ({ productId: r.product_id, quantity: Number(r.quantity) }));
}

/** Reserved units go back to available (release, expiry); one stock-changed event per product. */
async function returnToAvailable(s: Statements, trx: Db, orderId: string, now: string): Promise<void> {
  for (const item of await itemsOf(s, trx, orderId)) {
    const [row] = await s.giveBack({ productId: item.productId, quantity: item.quantity, now }, trx);
    // A reservation's units are always in `reserved`; anything else is a broken invariant, so roll back loudly.
    if (!row) throw new Error(`stock of ${item.productId} does not hold the ${item.quantity} units reserved by order ${orderId}`);
    await stockChanged(trx, item.productId, Number(row.available));
  }
}

/** Reserved units become committed (sold); available does not change, so no event. */
async function commitStock(s: Statements, trx: Db, orderId: string, now: string): Promise<void> {
  for (const item of await itemsOf(s, trx, orderId)) {
    const changed = await s.sell({ productId: item.productId, quantity: item.quantity, now }, trx);
    if (changed !== 1n) throw new Error(`stock of ${item.productId} does not hold the ${item.quantity} units reserved by order ${orderId}`);
  }
}

/** Thrown inside an adjust transaction when the level moved between its read and its write; never leaves this module. */
class LevelMoved extends Error {}

/** How often an adjustment is tried again when a reservation moved the level under it. */
const ADJUST_ATTEMPTS = 5;

type AdjustOpts = Parameters<InventoryRepository['adjust']>[0];

/**
 * Set the level and record the adjustment in one transaction. The delta needs
 * the level before, so the write is a compare-and-set on it: a reservation
 * changing the level in between makes the update miss, and the whole
 * transaction is tried again with the new level (never a wrong delta).
 */
async function adjustStock(db: Kysely<InventoryTables>, opts: AdjustOpts): Promise<AdjustmentRecord> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('stock').select('available').where('product_id', '=', opts.productId).executeTakeFirst();
        let before = 0;
        if (!row) {
          if (!(await createStockIfMissing(trx, opts))) throw new LevelMoved();
        } else {
          before = Number(row.available);
          if (before !== opts.available) {
            const changed = await trx
              .updateTable('stock')
              .set({ available: opts.available, updated_at: opts.now })
              .where('product_id', '=', opts.productId)
              .where('available', '=', before)
              .executeTakeFirst();
            if (Number(changed.numUpdatedRows) === 0) throw new LevelMoved();
            await stockChanged(trx, opts.productId, opts.available);
          }
        }
        const record: AdjustmentRecord = { id: opts.id, productId: opts.productId, delta: opts.available - before, available: opts.available, reason: opts.reason, by: opts.by, at: opts.now };
        await trx
          .insertInto('stock_adjustments')
          .values({ id: record.id, product_id: record.productId, delta: record.delta, available: record.available, reason: record.reason, by_id: record.by.id, by_email: record.by.email, at: record.at })
          .execute();
        return record;
      });
    } catch (error) {
      if (!(error instanceof LevelMoved) || attempt >= ADJUST_ATTEMPTS) throw error;
    }
  }
}

/** All inventory queries. Nothing outside this folder sees SQL or rows. */
export function inventoryRepository(db: Kysely<InventoryTables>): InventoryRepository {
  const s = checkoutStatements(db);
  return {
    async stock(productId: string): Promise<StockRecord | undefined> {
      const [row] = await s.stock({ productId });
      if (!row) return undefined;
      return { productId: row.product_id, available: Number(row.available), reserved: Number(row.reserved), committed: Number(row.committed) };
    },

    /**
     * Set available units, creating the row if missing; reserved and committed
     * stay. Writes only (no read-then-write), and publishes only a real change.
     */
    async setAvailable(opts: { productId: string; available: number; now: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const changed = await trx
          .updateTable('stock')
          .set({ available: opts.available, updated_at: opts.now })
          .where('product_id', '=', opts.productId)
          .where('available', '<>', opts.available)
          .returning('product_id')
          .executeTakeFirst();
        if (changed) await stockChanged(trx, opts.productId, opts.available);
        else await createStockIfMissing(trx, opts);
      });
    },

    createStockIfMissing: (opts: { productId: string; available: number; now: string }) => createStockIfMissing(db, opts),

    adjust: (opts) => adjustStock(db, opts),

    async adjustments(productId, opts) {
      let query = db.selectFrom('stock_adjustments').selectAll().where('product_id', '=', productId);
      const after = opts.after;
      if (after !== undefined) query = query.where((eb) => eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]));
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute();
      return {
        items: rows.slice(0, opts.limit).map((r) => ({ id: r.id, productId: r.product_id, delta: Number(r.delta), available: Number(r.available), reason: r.reason, by: { id: r.by_id, email: r.by_email }, at: r.at })),
        more: rows.length > opts.limit,
      };
    },

    /**
     * Reserve every line or none, in one transaction. The reservation row goes
     * in first, so a repeated orderId is found without a second decrement (and
     * a concurrent duplicate loses on the primary key). Each line is a
     * conditional decrement (`available >= quantity`), checked by its result,
     * so stock never goes negative whatever runs concurrently; lines are taken
     * in product order so two multi-line reservations never deadlock.
     */
    async reserve(opts: { orderId: string; items: ReservationLine[]; expiresAt: string; now: string }): Promise<ReserveOutcome> {
      try {
        return await db.transaction().execute(async (trx): Promise<ReserveOutcome> => {
          const [fresh] = await s.open({ orderId: opts.orderId, expiresAt: opts.expiresAt, now: opts.now }, trx);
          if (!fresh) return { kind: 'exists', reservation: (await readReservation(s, trx, opts.orderId)) as ReservationRecord };
          const byProduct = [...opts.items].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
          for (const item of byProduct) {
            const [row] = await s.take({ productId: item.productId, quantity: item.quantity, now: opts.now }, trx);
            if (!row) {
              const current = await trx.selectFrom('stock').select('available').where('product_id', '=', item.productId).executeTakeFirst();
              throw new Shortfall({ kind: 'insufficient', productId: item.productId, requested: item.quantity, available: Number(current?.available ?? 0), known: current !== undefined });
            }
            await stockChanged(trx, item.productId, Number(row.available));
          }
          await trx
            .insertInto('reservation_items')
            .values(opts.items.map((item, line) => ({ order_id: opts.orderId, product_id: item.productId, quantity: item.quantity, line })))
            .execute();
          return { kind: 'created', reservation: { orderId: opts.orderId, status: 'RESERVED', items: opts.items, expiresAt: opts.expiresAt, releaseReason: null } };
        });
      } catch (error) {
        if (error instanceof Shortfall) return error.outcome;
        throw error;
      }
    },

    reservation: (orderId: string) => readReservation(s, db, orderId),

    /** RESERVED → COMMITTED, moving its units from reserved to committed. Anything else is reported, not changed. */
    async commit(opts: { orderId: string; now: string }): Promise<SettleOutcome> {
      return db.transaction().execute(async (trx): Promise<SettleOutcome> => {
        const [moved] = await s.commit({ orderId: opts.orderId, now: opts.now }, trx);
        if (moved) await commitStock(s, trx, opts.orderId, opts.now);
        const reservation = await readReservation(s, trx, opts.orderId);
        return reservation ? { kind: 'settled', changed: moved !== undefined, reservation } : { kind: 'missing' };
      });
    },

    /** RESERVED → RELEASED ("released"), returning its units to available. Anything else is reported, not changed. */
    async release(opts: { orderId: string; now: string }): Promise<SettleOutcome> {
      return db.transaction().execute(async (trx): Promise<SettleOutcome> => {
        const [moved] = await s.release({ orderId: opts.orderId, now: opts.now }, trx);
        if (moved) await returnToAvailable(s, trx, opts.orderId, opts.now);
        const reservation = await readReservation(s, trx, opts.orderId);
        return reservation ? { kind: 'settled', changed: moved !== undefined, reservation } : { kind: 'missing' };
      });
    },

    /**
     * Release ("expired") up to `limit` reservations still RESERVED at `now`
     * past their expiry — all of them, or only one order's, or only those
     * holding some products. Each status change is conditional, so a commit or
     * another sweeper racing for the same reservation wins or loses cleanly.
     * One transaction per reservation: it locks that reservation's stock rows
     * in product order, as reserve does, so on PostgreSQL (where transactions
     * really run side by side) a sweep never deadlocks with a reservation.
     * Returns how many it released.
     */
    async expireDue(opts: { now: string; limit: number; orderId?: string; productIds?: string[] }): Promise<number> {
      const { now, limit, orderId: only, productIds } = opts;
      const due =
        only !== undefined && productIds === undefined
          ? await s.dueOfOrder({ now, limit, orderId: only })
          : only === undefined && productIds?.length === 1
            ? await s.dueHolding({ now, limit, productId: productIds[0] as string })
            : await dueQuery(db, opts).execute();
      let released = 0;
      for (const { order_id: orderId } of due) {
        const expired = await db.transaction().execute(async (trx) => {
          const moved = await trx
            .updateTable('reservations')
            .set({ status: 'RELEASED', release_reason: 'expired', updated_at: opts.now })
            .where('order_id', '=', orderId)
            .where('status', '=', 'RESERVED')
            .where('expires_at', '<=', opts.now)
            .returning('order_id')
            .executeTakeFirst();
          if (!moved) return false;
          await returnToAvailable(s, trx, orderId, opts.now);
          return true;
        });
        if (expired) released += 1;
      }
      return released;
    },
  };
}


/**
 * Put refunded units back on hand (orders.order-refunded with restock), in
 * the consumer's transaction so the inbox records the event with the effect:
 * each product's `available` grows by the quantity and its `committed`
 * shrinks by it (the units are no longer sold), so available + reserved +
 * committed is unchanged. Lines of one product are summed; products are taken
 * in id order, like a reservation.
 */
export async function restock(trx: Db, opts: { items: readonly { productId: string; quantity: number }[]; now: string }): Promise<void> {
  const sums = new Map<string, number>();
  for (const item of opts.items) sums.set(item.productId, (sums.get(item.productId) ?? 0) + item.quantity);
  for (const [productId, quantity] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
    const sold = await trx
      .updateTable('stock')
      .set((eb) => ({ available: eb('available', '+', quantity), committed: eb('committed', '-', quantity), updated_at: opts.now }))
      .where('product_id', '=', productId)
      .where('committed', '>=', quantity)
      .returning('available')
      .executeTakeFirst();
    // Stock an admin reset since the sale may hold fewer committed units: the units still come back on hand.
    const row =
      sold ??
      (await trx
        .updateTable('stock')
        .set((eb) => ({ available: eb('available', '+', quantity), committed: 0, updated_at: opts.now }))
        .where('product_id', '=', productId)
        .returning('available')
        .executeTakeFirst());
    if (row) await stockChanged(trx, productId, Number(row.available));
    else await createStockIfMissing(trx, { productId, available: quantity, now: opts.now });
  }
}
