/**
 * The cart's storage, as the domain sees it. Deliberately free of SQL (and of
 * any driver type) so the SQLite implementation can be swapped for Redis, the
 * production store, without touching the domain or the routes.
 */

/** One line of a cart: a product and how many of it. Never priced here. */
export interface CartLine {
  productId: string;
  quantity: number;
}

/** Outcome of setting a line's quantity; 'conflict' when the cart is not at the expected revision any more (nothing changed). */
export type SetQuantityResult = 'set' | 'removed' | 'cart-full' | 'conflict';

/** A cart's lines and its revision, read together. The revision goes up by exactly one with every change. */
export interface CartSnapshot {
  lines: CartLine[];
  /** 0 for a cart that never changed. */
  revision: number;
}

export interface CartStore {
  /** The user's lines in the order they were first added; [] for a user who has none. */
  getLines(userId: string): Promise<CartLine[]>;
  /** The lines and the revision, consistent with each other. */
  snapshot(userId: string): Promise<CartSnapshot>;
  /**
   * Set a line's quantity (0 removes it). Adding a new line to a cart that
   * already holds `maxLines` lines is refused with 'cart-full', decided
   * atomically so two concurrent additions cannot both slip past the limit.
   * With `expectedRevision`, the change happens only if the cart is still at
   * that revision ('conflict' otherwise), and then leaves it at expectedRevision + 1.
   */
  setQuantity(userId: string, productId: string, quantity: number, expectedRevision?: number): Promise<SetQuantityResult>;
  /** Remove a line; removing a line that is not there is not an error (and changes no revision). */
  remove(userId: string, productId: string): Promise<void>;
  /**
   * Take ordered quantities out of the cart, atomically: each line drops by
   * what was ordered, lines reaching 0 disappear, other lines are untouched.
   * With `placedAt` (the cart revision the order was placed from) only lines
   * last set at or before it change: a line set after it is the shopper's
   * later decision and stays as it is. The revision moves only when a line
   * changed. Without `placedAt` every ordered line drops (events from before
   * orders carried the cart version).
   */
  removeOrdered(userId: string, ordered: CartLine[], placedAt?: number): Promise<void>;
}

/** Limits the store enforces atomically on behalf of the domain. */
export interface CartLimits {
  /** Most distinct products in one cart. */
  maxLines: number;
}
