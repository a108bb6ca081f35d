import { firstViolation } from '@bazaar/kit';
import { EventTypes, type AnyCloudEvent, type EventData, type EventType } from '@bazaar/contracts/events';
import type { Fact } from './domain/facts.ts';
import { instantOf } from './domain/time.ts';

/**
 * What reports consumes; it publishes nothing.
 * - from orders: orders.order-confirmed (a sale, with its lines) and
 *   orders.order-cancelled (a cancellation, with its reason);
 * - from payments: payments.payment-captured, payment-voided and
 *   payment-refunded (refunds reduce the revenue of the order they refund).
 * Other event types in those feeds are passed over.
 */
export const CONSUMER = 'reports';

/** The producers whose feeds reports reads. */
export const SOURCES = ['orders', 'payments'] as const;
export type Source = (typeof SOURCES)[number];

/** The cursor a source's feed is read from: "<source>/<consumer>", as the feed transport names it. */
export const streamOf = (source: Source): string => `${source}/${CONSUMER}`;

const HANDLED = ['orders.order-confirmed', 'orders.order-cancelled', 'payments.payment-captured', 'payments.payment-voided', 'payments.payment-refunded'] as const;
type Handled = (typeof HANDLED)[number];
const isHandled = (type: string): type is Handled => (HANDLED as readonly string[]).includes(type);

/** An event as reports sees it: a fact to record, a type it does not use, or data that breaks its contract. */
export type Decoded = { kind: 'fact'; fact: Fact } | { kind: 'ignored' } | { kind: 'invalid'; problem: string };

function factOf<T extends Handled>(type: T, data: EventData<T>, event: AnyCloudEvent): Fact {
  switch (type) {
    case 'orders.order-confirmed': {
      const d = data as EventData<'orders.order-confirmed'>;
      const lines = d.items.map((l) => ({ productId: l.productId, name: l.name, quantity: l.quantity, unitAmount: l.unitPrice.amount, lineAmount: l.lineTotal.amount, currency: l.lineTotal.currency }));
      return { kind: 'order-confirmed', orderId: d.orderId, userId: d.userId, currency: d.total.currency, total: d.total.amount, at: instantOf(d.confirmedAt, event.time), lines };
    }
    case 'orders.order-cancelled': {
      const d = data as EventData<'orders.order-cancelled'>;
      return { kind: 'order-cancelled', orderId: d.orderId, userId: d.userId, currency: d.total.currency, total: d.total.amount, at: instantOf(d.cancelledAt, event.time), reason: d.reason };
    }
    case 'payments.payment-captured':
    case 'payments.payment-voided':
    case 'payments.payment-refunded': {
      const d = data as EventData<'payments.payment-captured'>;
      return { kind: 'payment', paymentId: d.paymentId, orderId: d.orderId, status: d.status, amount: d.amount.amount, currency: d.amount.currency, at: instantOf(event.time, event.time) };
    }
    default: {
      const never: never = type;
      throw new Error(`unhandled event type ${String(never)}`);
    }
  }
}

/** Check an event against its contract and turn it into the fact reports keeps. */
export function decodeEvent(event: AnyCloudEvent): Decoded {
  if (!isHandled(event.type)) return { kind: 'ignored' };
  const schema = EventTypes[event.type as EventType];
  const problem = firstViolation(schema, event.data);
  if (problem !== undefined) return { kind: 'invalid', problem: problem.trim() };
  return { kind: 'fact', fact: factOf(event.type, event.data as EventData<Handled>, event) };
}
