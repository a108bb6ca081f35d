/**
 * What inventory's domain needs from the outside (ports), implemented by
 * store/. Free of SQL and driver types, so the domain never imports store/.
 */

export type ReservationState = 'RESERVED' | 'COMMITTED' | 'RELEASED';
export type ReleaseReason = 'released' | 'expired';

/** One product's stock as the domain sees it. */
export interface StockRecord {
  productId: string;
  available: number;
  reserved: number;
  committed: number;
}

export interface ReservationLine {
  productId: string;
  quantity: number;
}

export interface ReservationRecord {
  orderId: string;
  status: ReservationState;
  items: ReservationLine[];
  expiresAt: string;
  releaseReason: ReleaseReason | null;
}

/** What a reserve attempt came to; only 'created' changed anything. */
export type ReserveOutcome =
  | { kind: 'created'; reservation: ReservationRecord }
  | { kind: 'exists'; reservation: ReservationRecord }
  | { kind: 'insufficient'; productId: string; requested: number; available: number; known: boolean };

/** What a commit or release came to: the reservation as it now is, and whether this call changed it. */
export type SettleOutcome = { kind: 'missing' } | { kind: 'settled'; changed: boolean; reservation: ReservationRecord };

/** One recorded change of available units by an admin. */
export interface AdjustmentRecord {
  id: string;
  productId: string;
  delta: number;
  available: number;
  reason: string;
  by: { id: string; email: string };
  at: string;
}

/** Where a page of adjustments ends: the last one's time and id. */
export interface AdjustmentPosition {
  at: string;
  id: string;
}

/** Where stock and reservations are kept; every change of available stock carries its event (outbox) in the same transaction. */
export interface InventoryRepository {
  stock(productId: string): Promise<StockRecord | undefined>;
  /** Set available units, creating the row if missing; reserved and committed stay. */
  setAvailable(opts: { productId: string; available: number; now: string }): Promise<void>;
  /**
   * Set available units (creating the row if missing) and record the change
   * with its delta, in one transaction; an unchanged level is still recorded
   * (delta 0: a count that confirmed the stock). Returns the record.
   */
  adjust(opts: { productId: string; available: number; now: string; id: string; reason: string; by: { id: string; email: string } }): Promise<AdjustmentRecord>;
  /** A product's adjustments, newest first, after `after`; `more` when others follow. */
  adjustments(productId: string, opts: { limit: number; after?: AdjustmentPosition }): Promise<{ items: AdjustmentRecord[]; more: boolean }>;
  /** Create a product's stock row unless it exists; whether it created one. */
  createStockIfMissing(opts: { productId: string; available: number; now: string }): Promise<boolean>;
  /** Reserve every line or none; a repeated orderId finds the existing reservation. */
  reserve(opts: { orderId: string; items: ReservationLine[]; expiresAt: string; now: string }): Promise<ReserveOutcome>;
  reservation(orderId: string): Promise<ReservationRecord | undefined>;
  /** RESERVED → COMMITTED; anything else is reported, not changed. */
  commit(opts: { orderId: string; now: string }): Promise<SettleOutcome>;
  /** RESERVED → RELEASED ("released"); anything else is reported, not changed. */
  release(opts: { orderId: string; now: string }): Promise<SettleOutcome>;
  /** Release ("expired") up to `limit` reservations due at `now` (optionally one order's, or those holding some products); how many. */
  expireDue(opts: { now: string; limit: number; orderId?: string; productIds?: string[] }): Promise<number>;
}
