import type { Handlers } from '@bazaar/messaging';
import { createStockIfMissing, restock, type InventoryTables } from './store/index.ts';
import type { Clock } from './domain/inventory.ts';

/**
 * Events inventory publishes: `inventory.stock-changed` ({productId, available})
 * whenever available units change — reserve, release, expiry, an admin setting
 * stock, a product's initial stock. Written to the outbox by the store in the
 * transaction of the change, served by GET /internal/events.
 *
 * Events inventory consumes, from catalog: `catalog.product-created` gives a
 * new product its initial stock, once (a product that already has a stock row,
 * e.g. set by an admin first, is left alone).
 */
export function catalogHandlers(opts: { initialStock: number; now?: Clock }): Handlers<InventoryTables> {
  const now = opts.now ?? (() => new Date());
  return {
    'catalog.product-created': async (data, _event, trx) => {
      await createStockIfMissing(trx, { productId: data.id, available: opts.initialStock, now: now().toISOString() });
    },
  };
}

/**
 * Events inventory consumes from orders: `orders.order-refunded` with
 * `restock: true` puts the order's quantities back on hand, once (the inbox).
 * A refund without restock changes nothing here.
 */
export function orderHandlers(opts: { now?: Clock } = {}): Handlers<InventoryTables> {
  const now = opts.now ?? (() => new Date());
  return {
    'orders.order-refunded': async (data, _event, trx) => {
      if (data.restock) await restock(trx, { items: data.items, now: now().toISOString() });
    },
  };
}
