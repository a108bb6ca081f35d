import type { OrderCancelledData, OrderConfirmedData, OrderRefundedData, OrderShippedData } from '@bazaar/contracts/events';
import type { NewEvent } from '@bazaar/messaging';
import type { OrderRecord, Outcome, Refund, Shipment } from './domain/model.ts';

/**
 * What orders publishes (source "orders"), written to the outbox in the
 * transaction that makes the order final:
 * - orders.order-confirmed (OrderConfirmedData): paid and stock committed.
 * - orders.order-cancelled (OrderCancelledData): will not be fulfilled, with the reason.
 * And in the transaction of an admin's move (back office):
 * - orders.order-shipped (OrderShippedData): carrier and tracking number.
 * - orders.order-refunded (OrderRefundedData): refunded in full; `restock` puts the items back on hand.
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

/** The event announcing that an order was shipped. */
export function shippedEvent(order: OrderRecord, shipment: Shipment): NewEvent {
  const data: OrderShippedData = {
    orderId: order.id,
    userId: order.userId,
    email: order.email,
    carrier: shipment.carrier,
    trackingNumber: shipment.trackingNumber,
    shippedAt: shipment.shippedAt,
    items: order.items,
    ...(order.shippingAddress === undefined ? {} : { shippingAddress: order.shippingAddress }),
    ...(order.customerName === undefined ? {} : { customerName: order.customerName }),
  };
  return { type: 'orders.order-shipped', subject: order.id, data };
}

/** The event announcing that an order was refunded. */
export function refundedEvent(order: OrderRecord, refund: Refund): NewEvent {
  const data: OrderRefundedData = {
    orderId: order.id,
    userId: order.userId,
    email: order.email,
    amount: refund.amount,
    restock: refund.restock,
    items: order.items,
    ...(refund.reason === undefined ? {} : { reason: refund.reason }),
    refundedAt: refund.refundedAt,
  };
  return { type: 'orders.order-refunded', subject: order.id, data };
}
