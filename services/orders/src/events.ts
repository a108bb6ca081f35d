import type { OrderCancelledData, OrderConfirmedData } from '@bazaar/contracts/events';
import type { NewEvent } from '@bazaar/messaging';
import type { OrderRecord, Outcome } from './domain/model.ts';

/**
 * What orders publishes (source "orders"), written to the outbox in the
 * transaction that makes the order final:
 * - orders.order-confirmed (OrderConfirmedData): paid and stock committed.
 * - orders.order-cancelled (OrderCancelledData): will not be fulfilled, with the reason.
 * Orders consumes no events.
 */
export const EVENT_SOURCE = 'orders';

/** The event announcing an order's outcome. */
export function outcomeEvent(order: OrderRecord, outcome: Outcome, at: string): NewEvent {
  const base = { orderId: order.id, userId: order.userId, email: order.email, items: order.items, total: order.total };
  if (outcome.status === 'CONFIRMED') {
    const data: OrderConfirmedData = {
      ...base,
      confirmedAt: at,
      ...(order.shippingAddress === undefined ? {} : { shippingAddress: order.shippingAddress }),
      ...(order.customerName === undefined ? {} : { customerName: order.customerName }),
      // The cart reads its revision from it: lines changed after checkout stay in the cart (issue 12).
      ...(order.cartVersion === undefined ? {} : { cartVersion: order.cartVersion }),
    };
    return { type: 'orders.order-confirmed', subject: order.id, data };
  }
  const data: OrderCancelledData = { ...base, reason: outcome.reason, cancelledAt: at };
  return { type: 'orders.order-cancelled', subject: order.id, data };
}
