import type { Cart, CartItem } from '@bazaar/contracts/cart';
import type { Product } from '@bazaar/contracts/catalog';
import { commonErrors } from '@bazaar/kit';
import type { CartLine } from './model.ts';

/**
 * Price lines with the products as the catalog has them now. Integer minor
 * units throughout: lineTotal = unitPrice × quantity, total = Σ lineTotal.
 * Lines whose product is not in `products` are left out (the caller decides
 * what a missing product means).
 */
export function priceCart(lines: readonly CartLine[], products: ReadonlyMap<string, Product>, currency: string): Omit<Cart, 'version'> {
  const items: CartItem[] = [];
  let total = 0;
  for (const line of lines) {
    const product = products.get(line.productId);
    if (!product) continue;
    if (product.price.currency !== currency) {
      // Adding EUR to USD would be a silent lie: the catalog and the cart disagree on the currency.
      throw commonErrors.UPSTREAM_FAILED(`The catalog prices ${product.id} in ${product.price.currency}; carts are in ${currency}.`);
    }
    const lineTotal = product.price.amount * line.quantity;
    total += lineTotal;
    items.push({
      productId: product.id,
      name: product.name,
      quantity: line.quantity,
      unitPrice: { amount: product.price.amount, currency },
      lineTotal: { amount: lineTotal, currency },
    });
  }
  if (!Number.isSafeInteger(total)) throw commonErrors.UPSTREAM_FAILED('The cart total is too large to be represented exactly.');
  return { items, total: { amount: total, currency } };
}
