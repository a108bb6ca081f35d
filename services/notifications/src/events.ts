import { nowIso } from '@bazaar/store';
import type { EventTransport, Handlers } from '@bazaar/messaging';
import { orderCancelledEmail, orderConfirmedEmail, orderRefundedEmail, orderShippedEmail } from './domain/emails.ts';
import type { EmailRepository, NotificationTables } from './store/index.ts';

/** The consumer name: instances of notifications share one position in each feed. */
export const CONSUMER = 'notifications';

/**
 * What notifications does with orders' events: queue the email, in the
 * transaction that records the event in the inbox. A redelivered event finds
 * itself in the inbox and queues nothing; sending happens later, from the
 * queue (see sender.ts), so SMTP being down never blocks or loses an event.
 */
export function orderEventHandlers(deps: { mailDomain: string; emails: EmailRepository }): Handlers<NotificationTables> {
  return {
    'orders.order-confirmed': async (data, event, trx) => {
      await deps.emails.insert(orderConfirmedEmail({ eventId: event.id, data, domain: deps.mailDomain }), nowIso(), trx);
    },
    'orders.order-cancelled': async (data, event, trx) => {
      await deps.emails.insert(orderCancelledEmail({ eventId: event.id, data, domain: deps.mailDomain }), nowIso(), trx);
    },
    'orders.order-shipped': async (data, event, trx) => {
      await deps.emails.insert(orderShippedEmail({ eventId: event.id, data, domain: deps.mailDomain }), nowIso(), trx);
    },
    'orders.order-refunded': async (data, event, trx) => {
      await deps.emails.insert(orderRefundedEmail({ eventId: event.id, data, domain: deps.mailDomain }), nowIso(), trx);
    },
  };
}

/** Wrap a transport so `after` runs once each event's handling has committed. */
export function afterEachEvent(transport: EventTransport, after: () => void): EventTransport {
  return {
    subscribe: (sub) =>
      transport.subscribe({
        ...sub,
        handle: async (event) => {
          await sub.handle(event);
          after();
        },
      }),
  };
}
