import { createHash } from 'node:crypto';
import type { Cart } from '@bazaar/contracts/cart';
import type { Product } from '@bazaar/contracts/catalog';
import { MAX_MONEY_AMOUNT } from '@bazaar/contracts/common';
import { commonErrors, type Logger } from '@bazaar/kit';
import { errors } from '../errors.ts';
import type { CartLine, CartSnapshot, CartStore } from './model.ts';
import { priceCart } from './pricing.ts';

/** Most units of one product in a cart (the contract's SetQuantityRequest says the same). */
export const MAX_QUANTITY = 100;
/** Most different products in one cart. */
export const MAX_LINES = 50;
/** How often a write is tried again when another write changed the cart between its read and its write. */
const WRITE_ATTEMPTS = 5;

/** Where products come from: the catalog, many at once. Ids it does not have are absent from the map. */
export interface ProductLookup {
  findMany(productIds: readonly string[]): Promise<ReadonlyMap<string, Product>>;
}

/**
 * The cart's version: its revision and exactly what it costs, line by line.
 * Any change of a line (revision) or of a price changes it; opaque to clients.
 * It reads `<revision>.<hash>`: the order keeps the version it was placed
 * from and sends it back in `orders.order-confirmed`, and the cart reads the
 * revision from it (`revisionOfVersion`) to know which lines changed after checkout.
 */
export function cartVersion(revision: number, cart: Omit<Cart, 'version'>): string {
  const content = cart.items.map((i) => [i.productId, i.quantity, i.unitPrice.amount, i.unitPrice.currency]);
  return `${revision}.${createHash('sha256').update(JSON.stringify([revision, content])).digest('base64url').slice(0, 27)}`;
}

/** The revision a version (from `cartVersion`) was made at; undefined for anything else (versions from before the revision was part of it). */
export function revisionOfVersion(version: string | undefined): number | undefined {
  const match = /^(\d{1,15})\.[\w-]{27}$/.exec(version ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The cart's business rules: one cart per user, priced at read time with one catalog lookup, bounded in size and total. */
export function createCarts(deps: { store: CartStore; products: ProductLookup; currency: string; logger: Logger }) {
  const { store, products, currency, logger } = deps;

  // Writes to one cart queue up in this instance, so a burst from one user is a
  // sequence of quick writes rather than a storm of compare-and-set retries;
  // across instances the revision check still keeps every write atomic.
  const queues = new Map<string, Promise<unknown>>();
  function serially<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    const previous = queues.get(userId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    queues.set(userId, tail);
    void tail.then(() => {
      if (queues.get(userId) === tail) queues.delete(userId);
    });
    return run;
  }

  /**
   * The products of these lines that are on sale, with one catalog call. An
   * archived product stays in the catalog (past orders show it) but is no
   * longer sold, so for a cart it is as gone as a deleted one.
   */
  const lookup = async (lines: readonly CartLine[]): Promise<ReadonlyMap<string, Product>> => {
    if (lines.length === 0) return new Map();
    const found = await products.findMany(lines.map((l) => l.productId));
    return new Map([...found].filter(([, p]) => p.archived !== true));
  };

  /** Price a snapshot with products already looked up; lines whose product left the catalog are left out. */
  function price(snapshot: CartSnapshot, byId: ReadonlyMap<string, Product>): Cart {
    const priced = priceCart(snapshot.lines, byId, currency);
    return { ...priced, version: cartVersion(snapshot.revision, priced) };
  }

  /** The user's cart, priced now with one catalog call. Lines of products the catalog no longer has, or no longer sells (archived), are dropped from it. */
  async function read(userId: string): Promise<Cart> {
    const snapshot = await store.snapshot(userId);
    const byId = await lookup(snapshot.lines);
    const gone = snapshot.lines.filter((l) => !byId.has(l.productId));
    if (gone.length === 0) return price(snapshot, byId);
    await Promise.all(gone.map((line) => store.remove(userId, line.productId)));
    logger.info({ userId, productIds: gone.map((l) => l.productId) }, 'dropped cart lines whose products left the catalog or were archived');
    // Read again: the version must name the cart as it is now stored.
    const after = await store.snapshot(userId);
    return price({ ...after, lines: after.lines.filter((l) => byId.has(l.productId)) }, byId);
  }

  /**
   * Change one line, atomically: read the cart, price the cart it would
   * become with one catalog lookup, check every rule, then write only if
   * nobody changed the cart meanwhile (compare-and-set on its revision; tried
   * again otherwise). A refused or failed write leaves the cart as it was.
   */
  async function change(userId: string, productId: string, quantity: number): Promise<Cart> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const snapshot = await store.snapshot(userId);
      const had = snapshot.lines.some((l) => l.productId === productId);
      if (quantity === 0 && !had) return price(snapshot, await lookup(snapshot.lines));
      const lines = quantity === 0
        ? snapshot.lines.filter((l) => l.productId !== productId)
        : had
          ? snapshot.lines.map((l) => (l.productId === productId ? { productId, quantity } : l))
          : [...snapshot.lines, { productId, quantity }];
      if (lines.length > MAX_LINES) {
        throw errors.CART_FULL(`A cart holds at most ${MAX_LINES} different products; remove one before adding another.`, { maxLines: MAX_LINES });
      }
      const found = lines.length === 0 ? new Map<string, Product>() : await products.findMany(lines.map((l) => l.productId));
      // An archived product stays in the catalog for past orders, but no cart takes it any more (removing is fine).
      const archived = found.get(productId);
      if (quantity > 0 && archived?.archived === true) {
        throw errors.PRODUCT_ARCHIVED(`${archived.name} is no longer sold; choose another product.`);
      }
      if (quantity > 0 && !found.has(productId)) throw errors.PRODUCT_NOT_FOUND(`The catalog has no product ${productId}.`);
      const byId = new Map([...found].filter(([, p]) => p.archived !== true));
      const next = { lines: lines.filter((l) => byId.has(l.productId)), revision: snapshot.revision + 1 };
      const cart = price(next, byId);
      if (quantity > 0 && cart.total.amount > MAX_MONEY_AMOUNT) {
        throw errors.CART_TOTAL_TOO_LARGE(
          `With ${quantity} × ${byId.get(productId)?.name ?? productId} the cart would total more than an order may (${MAX_MONEY_AMOUNT} minor units); lower the quantity.`,
          { maxTotal: { amount: MAX_MONEY_AMOUNT, currency } },
        );
      }
      const result = await store.setQuantity(userId, productId, quantity, snapshot.revision);
      switch (result) {
        case 'conflict':
          continue;
        case 'cart-full':
          throw errors.CART_FULL(`A cart holds at most ${MAX_LINES} different products; remove one before adding another.`, { maxLines: MAX_LINES });
        case 'set':
        case 'removed':
          return cart;
        default: {
          const never: never = result;
          throw new Error(`unknown store result ${String(never)}`);
        }
      }
    }
    throw errors.CART_BUSY('Your cart is being changed by other requests right now; try again.');
  }

  return {
    /** The user's cart, priced now. */
    get: read,

    /** Set how many of a product the cart holds (0 removes it); the product must exist in the catalog. */
    async setQuantity(userId: string, productId: string, quantity: number): Promise<Cart> {
      if (!Number.isInteger(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
        throw commonErrors.VALIDATION_FAILED(`quantity must be a whole number from 0 to ${MAX_QUANTITY}.`);
      }
      return serially(userId, () => change(userId, productId, quantity));
    },

    /** Remove a product from the cart; removing one that is not there is fine (idempotent). */
    remove: (userId: string, productId: string): Promise<Cart> => serially(userId, () => change(userId, productId, 0)),

    /**
     * Orders confirmed an order and says so before answering the shopper
     * (POST /internal/carts/:userId/ordered): the same removal as the event,
     * earlier, so the next checkout does not meet the old lines. Idempotent
     * with itself and with the event, in any order: removal at revision R
     * touches only lines set at or before R, and a line it lowers without
     * taking out counts as set at the new revision. A version without a
     * readable revision changes nothing (removal without one is not
     * idempotent); the event takes those lines out. Not queued behind the
     * shopper's writes: the store's change is atomic on its own.
     */
    async removeOrdered(userId: string, order: { orderId: string; items: CartLine[]; cartVersion: string }): Promise<'removed' | 'left-to-event'> {
      if (revisionOfVersion(order.cartVersion) === undefined) {
        logger.info({ userId, orderId: order.orderId }, 'order confirmed from a cart version without a revision; its lines leave the cart with its event');
        return 'left-to-event';
      }
      await removeOrderedItems(store, { userId, items: order.items, cartVersion: order.cartVersion });
      return 'removed';
    },
  };
}

export type Carts = ReturnType<typeof createCarts>;

/**
 * An order was confirmed: what it bought leaves the cart. Lines drop by the
 * ordered quantity (0 → gone); products added after checkout stay. The event
 * may land seconds later (issue 12): with the cart version the order was
 * placed from, a line the shopper set again after checking out is left as
 * the shopper set it. Without one (older orders), every ordered line drops.
 */
export async function removeOrderedItems(store: CartStore, order: { userId: string; items: CartLine[]; cartVersion?: string | undefined }): Promise<void> {
  const lines = order.items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
  await store.removeOrdered(order.userId, lines, revisionOfVersion(order.cartVersion));
}
