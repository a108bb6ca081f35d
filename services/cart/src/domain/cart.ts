import type { Cart } from '@bazaar/contracts/cart';
import type { Product } from '@bazaar/contracts/catalog';
import { commonErrors, type Logger } from '@bazaar/kit';
import { errors } from '../errors.ts';
import type { CartLine, CartStore } from './model.ts';
import { priceCart } from './pricing.ts';

/** Most units of one product in a cart (the contract's SetQuantityRequest says the same). */
export const MAX_QUANTITY = 100;
/** Most different products in one cart. */
export const MAX_LINES = 50;

/** Where products come from: the catalog. `undefined` when the product does not exist. */
export interface ProductLookup {
  find(productId: string): Promise<Product | undefined>;
}

/** The cart's business rules: one cart per user, priced at read time, bounded in size. */
export function createCarts(deps: { store: CartStore; products: ProductLookup; currency: string; logger: Logger }) {
  const { store, products, currency, logger } = deps;

  /**
   * Price the user's lines, fetching their products concurrently. Products
   * the catalog no longer has are dropped from the answer and from the cart.
   * `known` holds products this request has already fetched.
   */
  async function priced(userId: string, known: ReadonlyMap<string, Product> = new Map()): Promise<Cart> {
    const lines = await store.getLines(userId);
    if (lines.length === 0) return { items: [], total: { amount: 0, currency } };
    const found = await Promise.all(lines.map(async (line) => known.get(line.productId) ?? (await products.find(line.productId))));
    const byId = new Map<string, Product>();
    const gone: CartLine[] = [];
    lines.forEach((line, i) => {
      const product = found[i];
      if (product) byId.set(line.productId, product);
      else gone.push(line);
    });
    if (gone.length > 0) {
      await Promise.all(gone.map((line) => store.remove(userId, line.productId)));
      logger.info({ userId, productIds: gone.map((l) => l.productId) }, 'dropped cart lines whose products left the catalog');
    }
    return priceCart(lines, byId, currency);
  }

  return {
    /** The user's cart, priced now. */
    get: (userId: string): Promise<Cart> => priced(userId),

    /** Set how many of a product the cart holds (0 removes it); the product must exist in the catalog. */
    async setQuantity(userId: string, productId: string, quantity: number): Promise<Cart> {
      if (!Number.isInteger(quantity) || quantity < 0 || quantity > MAX_QUANTITY) {
        throw commonErrors.VALIDATION_FAILED(`quantity must be a whole number from 0 to ${MAX_QUANTITY}.`);
      }
      if (quantity === 0) {
        await store.remove(userId, productId);
        return priced(userId);
      }
      const product = await products.find(productId);
      if (!product) {
        // A stale line of a vanished product goes too: it could never be bought.
        await store.remove(userId, productId);
        throw errors.PRODUCT_NOT_FOUND(`The catalog has no product ${productId}.`);
      }
      const result = await store.setQuantity(userId, productId, quantity);
      if (result === 'cart-full') {
        throw errors.CART_FULL(`A cart holds at most ${MAX_LINES} different products; remove one before adding another.`, { maxLines: MAX_LINES });
      }
      return priced(userId, new Map([[productId, product]]));
    },

    /** Remove a product from the cart; removing one that is not there is fine (idempotent). */
    async remove(userId: string, productId: string): Promise<Cart> {
      await store.remove(userId, productId);
      return priced(userId);
    },
  };
}

export type Carts = ReturnType<typeof createCarts>;

/**
 * An order was confirmed: what it bought leaves the cart. Lines drop by the
 * ordered quantity (0 → gone); products added after checkout stay.
 */
export async function removeOrderedItems(store: CartStore, order: { userId: string; items: CartLine[] }): Promise<void> {
  await store.removeOrdered(order.userId, order.items.map((i) => ({ productId: i.productId, quantity: i.quantity })));
}
