import type { Logger } from '@bazaar/kit';
import { startConsumer, type EventTransport, type Handlers, type Subscription } from '@bazaar/messaging';
import { removeOrderedItems, MAX_LINES } from './domain/cart.ts';
import { sqliteCartStore, type CartTables } from './store/index.ts';
import type { Kysely } from 'kysely';

/**
 * What the cart consumes. It publishes nothing.
 *
 * `orders.order-confirmed`: the ordered quantities leave the buyer's cart.
 * Each handler runs in the transaction that records the event id in the inbox,
 * so a redelivered event finds its id there and changes nothing.
 */
export function cartEventHandlers(): Handlers<CartTables> {
  return {
    'orders.order-confirmed': async (data, _event, trx) => {
      await removeOrderedItems(sqliteCartStore(trx, { maxLines: MAX_LINES }), { userId: data.userId, items: data.items });
    },
  };
}

/** Subscribe the cart to orders' events (consumer name "cart"). Stop the returned subscription before closing the store. */
export function startCartConsumer(opts: { db: Kysely<CartTables>; transport: EventTransport; logger: Logger }): Subscription {
  return startConsumer({ db: opts.db, transport: opts.transport, consumer: 'cart', source: 'orders', handlers: cartEventHandlers(), logger: opts.logger });
}
