import type { Logger } from '@bazaar/kit';
import { startConsumer, type EventTransport, type Handlers, type Subscription } from '@bazaar/messaging';
import { removeOrderedItems, MAX_LINES } from './domain/cart.ts';
import { sqliteCartStore, type CartTables, type RedisCartStore } from './store/index.ts';
import type { Kysely } from 'kysely';

/**
 * What the cart consumes. It publishes nothing.
 *
 * `orders.order-confirmed`: the ordered quantities leave the buyer's cart,
 * except lines the shopper set again after the cart version the order names.
 * Each handler runs in the transaction that records the event id in the inbox,
 * so a redelivered event finds its id there and changes nothing. Carts in
 * Redis cannot join that transaction: there the change is bound to the event
 * id (`forEvent`), which Redis records in the same script, so it happens once too.
 */
export function cartEventHandlers(db: Kysely<CartTables>, redis?: RedisCartStore): Handlers<CartTables> {
  // Made on the database, not per event: its statements are compiled once, then run in each event's transaction.
  const carts = sqliteCartStore(db, { maxLines: MAX_LINES });
  return {
    'orders.order-confirmed': async (data, event, trx) => {
      const store = redis ? redis.forEvent(event.id) : carts.within(trx);
      await removeOrderedItems(store, { userId: data.userId, items: data.items, cartVersion: data.cartVersion });
    },
  };
}

/** Subscribe the cart to orders' events (consumer name "cart"). Stop the returned subscription before closing the store. */
export function startCartConsumer(opts: { db: Kysely<CartTables>; transport: EventTransport; logger: Logger; redis?: RedisCartStore }): Subscription {
  return startConsumer({ db: opts.db, transport: opts.transport, consumer: 'cart', source: 'orders', handlers: cartEventHandlers(opts.db, opts.redis), logger: opts.logger });
}
