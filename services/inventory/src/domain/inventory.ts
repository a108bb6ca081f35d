import { randomUUID } from 'node:crypto';
import { positionCursor } from '@bazaar/kit';
import { DEFAULT_STOCK_REASON, type ListAdjustmentsQuery, type Reservation, type ReserveRequest, type StockAdjustmentPage, type StockLevel } from '@bazaar/contracts/inventory';
import { errors } from '../errors.ts';
import type { AdjustmentPosition, InventoryRepository, ReservationLine, ReservationRecord } from './model.ts';

/** How many due reservations one expiry pass handles per transaction. */
const EXPIRY_BATCH = 100;

/** Clock source; injectable so tests can move time instead of waiting. */
export type Clock = () => Date;

function toReservation(r: ReservationRecord): Reservation {
  return {
    orderId: r.orderId,
    status: r.status,
    items: r.items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
    expiresAt: r.expiresAt,
    ...(r.releaseReason === null ? {} : { releaseReason: r.releaseReason }),
  };
}

/** Pages of adjustments end at the last one's time and id. */
const adjustmentCursors = positionCursor('a');

/** Lines of one product asked for twice are one line of their sum, in first-seen order. */
export function mergeLines(items: ReservationLine[]): ReservationLine[] {
  const merged = new Map<string, number>();
  for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/**
 * Inventory's rules: stock moves available → reserved → committed, or back
 * from reserved to available on release or expiry. Expired reservations are
 * released lazily whenever something they touch is read or used, as well as
 * by the background sweeper, so stock held by a crashed order always returns.
 */
export function createInventory(deps: { repo: InventoryRepository; now?: Clock }) {
  const { repo } = deps;
  const clock = deps.now ?? (() => new Date());
  const nowIso = () => clock().toISOString();

  async function expireOrder(orderId: string): Promise<void> {
    await repo.expireDue({ now: nowIso(), limit: 1, orderId });
  }

  async function expireHolding(productIds: string[]): Promise<void> {
    const now = nowIso();
    let released = EXPIRY_BATCH;
    while (released === EXPIRY_BATCH) released = await repo.expireDue({ now, limit: EXPIRY_BATCH, productIds });
  }

  return {
    async stockLevel(productId: string): Promise<StockLevel> {
      await expireHolding([productId]);
      const stock = await repo.stock(productId);
      if (!stock) throw errors.PRODUCT_NOT_FOUND(`Inventory has no stock record for product ${productId}; it is created when the catalog announces the product, or by an admin setting its stock.`);
      return { productId, available: stock.available };
    },

    /** An admin sets the level; the change is recorded with its reason (trimmed; DEFAULT_STOCK_REASON when absent or blank). */
    async setStock(productId: string, available: number, opts: { reason?: string | undefined; by: { id: string; email: string } }): Promise<StockLevel> {
      const reason = opts.reason?.trim() || DEFAULT_STOCK_REASON;
      await repo.adjust({ productId, available, now: nowIso(), id: randomUUID(), reason, by: opts.by });
      return { productId, available };
    },

    /** A product's adjustments, newest first (an unknown product simply has none). */
    async adjustments(productId: string, query: ListAdjustmentsQuery): Promise<StockAdjustmentPage> {
      let after: AdjustmentPosition | undefined;
      if (query.cursor !== undefined) {
        const at = adjustmentCursors.decode(query.cursor);
        if (at === undefined) throw errors.INVALID_CURSOR('Pass back the nextCursor of a previous page unchanged, or omit it for the first page.');
        after = { at: at.key, id: at.id };
      }
      const page = await repo.adjustments(productId, { limit: query.limit ?? 20, ...(after === undefined ? {} : { after }) });
      const last = page.items.at(-1);
      return { items: page.items, nextCursor: page.more && last ? adjustmentCursors.encode({ key: last.at, id: last.id }) : null };
    },

    /** Reserve all lines or none; `created` is false when the orderId already had a reservation (returned as it is). */
    async reserve(request: ReserveRequest): Promise<{ created: boolean; reservation: Reservation }> {
      const items = mergeLines(request.items);
      const now = clock();
      // Stock held by expired reservations is free again before we count it.
      await expireHolding(items.map((i) => i.productId));
      await expireOrder(request.orderId);
      const outcome = await repo.reserve({
        orderId: request.orderId,
        items,
        expiresAt: new Date(now.getTime() + request.ttlSeconds * 1000).toISOString(),
        now: now.toISOString(),
      });
      switch (outcome.kind) {
        case 'created':
          return { created: true, reservation: toReservation(outcome.reservation) };
        case 'exists':
          return { created: false, reservation: toReservation(outcome.reservation) };
        case 'insufficient': {
          const what = outcome.known ? `only ${outcome.available} available` : 'inventory has no stock record for it (0 available)';
          throw errors.INSUFFICIENT_STOCK(`Not enough stock of product ${outcome.productId}: ${outcome.requested} requested, ${what}. Nothing was reserved.`, {
            productId: outcome.productId,
            requested: outcome.requested,
            available: outcome.available,
          });
        }
        default: {
          const never: never = outcome;
          throw new Error(`unhandled reserve outcome ${JSON.stringify(never)}`);
        }
      }
    },

    async reservation(orderId: string): Promise<Reservation> {
      await expireOrder(orderId);
      const found = await repo.reservation(orderId);
      if (!found) throw errors.RESERVATION_NOT_FOUND(`No reservation was made for order ${orderId}.`);
      return toReservation(found);
    },

    /** Idempotent; a released (or expired) reservation cannot be committed. */
    async commit(orderId: string): Promise<Reservation> {
      await expireOrder(orderId);
      const outcome = await repo.commit({ orderId, now: nowIso() });
      if (outcome.kind === 'missing') throw errors.RESERVATION_NOT_FOUND(`No reservation was made for order ${orderId}.`);
      const r = outcome.reservation;
      if (r.status === 'RELEASED') {
        const extensions = { orderId, releaseReason: r.releaseReason, expired: r.releaseReason === 'expired' };
        if (r.releaseReason === 'expired') {
          throw errors.RESERVATION_EXPIRED(`The reservation of order ${orderId} expired at ${r.expiresAt} and its stock went back on sale; reserve again.`, extensions);
        }
        throw errors.RESERVATION_RELEASED(`The reservation of order ${orderId} was released (it did not expire); it cannot be committed.`, extensions);
      }
      return toReservation(r);
    },

    /** Idempotent; a committed reservation cannot be released. */
    async release(orderId: string): Promise<Reservation> {
      await expireOrder(orderId);
      const outcome = await repo.release({ orderId, now: nowIso() });
      if (outcome.kind === 'missing') throw errors.RESERVATION_NOT_FOUND(`No reservation was made for order ${orderId}.`);
      const r = outcome.reservation;
      if (r.status === 'COMMITTED') throw errors.RESERVATION_COMMITTED(`The reservation of order ${orderId} is committed (the stock is sold); it cannot be released.`, { orderId });
      return toReservation(r);
    },

    /** Release every reservation past its expiry; returns how many. The sweeper calls this. */
    async expireDue(): Promise<number> {
      const now = nowIso();
      let total = 0;
      for (;;) {
        const released = await repo.expireDue({ now, limit: EXPIRY_BATCH });
        total += released;
        if (released < EXPIRY_BATCH) return total;
      }
    },
  };
}

export type Inventory = ReturnType<typeof createInventory>;
