/** The price-changed notice: what the shopper saw against what the cart costs now. */
export interface PriceChange {
  productId: string;
  name: string;
  was: { amount: number; currency: string };
  now: { amount: number; currency: string };
}

/** Items whose unit price differs from the one last shown to the shopper. */
export function priceChanges(seen: Record<string, number>, items: { productId: string; name: string; unitPrice: { amount: number; currency: string } }[]): PriceChange[] {
  const out: PriceChange[] = [];
  for (const item of items) {
    const before = seen[item.productId];
    if (before !== undefined && before !== item.unitPrice.amount) {
      out.push({ productId: item.productId, name: item.name, was: { amount: before, currency: item.unitPrice.currency }, now: item.unitPrice });
    }
  }
  return out;
}

/** The unit prices of a cart, as the session remembers them. */
export function pricesOf(items: { productId: string; unitPrice: { amount: number } }[]): Record<string, number> {
  return Object.fromEntries(items.map((i) => [i.productId, i.unitPrice.amount]));
}

/** A short fingerprint of what a checkout form showed (lines and prices), posted back to detect a change in between. */
export function cartFingerprint(items: { productId: string; quantity: number; unitPrice: { amount: number } }[]): string {
  return items
    .map((i) => `${i.productId}:${i.quantity}:${i.unitPrice.amount}`)
    .sort()
    .join(',');
}
