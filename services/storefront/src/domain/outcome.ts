/**
 * What a finished (or stuck) checkout means for the shopper: the page to
 * show and, above all, what happens to their money. The orders service
 * gives a reason text for a cancellation (services/orders/src/domain/saga.ts).
 */
export type OutcomeKind = 'confirmed' | 'shipped' | 'refunded' | 'pending' | 'declined' | 'insufficient-funds' | 'out-of-stock' | 'timed-out' | 'cancelled';

export interface Outcome {
  kind: OutcomeKind;
  heading: string;
  /** What happened, in one sentence. */
  summary: string;
  /** What happens to the money. */
  money: string;
  /** What the shopper can do next. */
  next: string;
}

/** Classify an order's status and reason. */
export function outcomeOf(order: { status: string; reason?: string | undefined }): Outcome {
  if (order.status === 'CONFIRMED') {
    return {
      kind: 'confirmed',
      heading: 'Thank you — your order is confirmed',
      summary: 'Your payment went through and the items are reserved for you.',
      money: 'Your card has been charged the total below.',
      next: 'A confirmation email is on its way. We will email you again when the parcel ships.',
    };
  }
  if (order.status === 'SHIPPED') {
    return {
      kind: 'shipped',
      heading: 'Your order is on its way',
      summary: 'The parcel has left our warehouse; follow it with the tracking number below.',
      money: 'Your card was charged the total below.',
      next: 'We emailed you the carrier and the tracking number.',
    };
  }
  if (order.status === 'REFUNDED') {
    return {
      kind: 'refunded',
      heading: 'Your order was refunded',
      summary: 'We refunded this order in full.',
      money: 'The total below goes back to the card you paid with; your bank may take a few days to show it.',
      next: 'We emailed you about the refund.',
    };
  }
  if (order.status === 'PENDING') {
    return {
      kind: 'pending',
      heading: 'Processing your order…',
      summary: 'We are reserving your items and authorizing the payment. This usually takes a few seconds.',
      money: 'Nothing is charged unless the order is confirmed.',
      next: 'This page updates by itself. You can also leave it: the order appears in your account either way.',
    };
  }
  const reason = (order.reason ?? '').toLowerCase();
  if (reason.includes('insufficient_funds')) {
    return {
      kind: 'insufficient-funds',
      heading: 'Payment declined: insufficient funds',
      summary: 'Your bank declined the payment because the card does not have enough funds.',
      money: 'Nothing was charged. Your items were released back to stock.',
      next: 'Your cart is still there: try another card.',
    };
  }
  if (reason.includes('declined')) {
    return {
      kind: 'declined',
      heading: 'Payment declined',
      summary: 'Your bank declined the payment.',
      money: 'Nothing was charged. Your items were released back to stock.',
      next: 'Your cart is still there: check the card details or try another card.',
    };
  }
  if (reason.includes('insufficient stock')) {
    return {
      kind: 'out-of-stock',
      heading: 'Sorry — an item sold out',
      summary: `We could not reserve everything in your cart (${order.reason ?? 'out of stock'}).`,
      money: 'Your card was not charged.',
      next: 'Your cart is still there: lower the quantity or remove the item, then check out again.',
    };
  }
  if (reason.includes('in time') || reason.includes('released before')) {
    return {
      kind: 'timed-out',
      heading: 'The payment could not be completed in time',
      summary: 'The card network did not answer quickly enough, so we stopped the order.',
      money: reason.includes('refunded')
        ? 'The payment was refunded in full; your bank may take a few days to show it.'
        : 'Any amount held on your card has been released; nothing was charged.',
      next: 'Your cart is still there: please check out again.',
    };
  }
  return {
    kind: 'cancelled',
    heading: 'Your order was cancelled',
    summary: order.reason ? `Reason: ${order.reason}.` : 'The order could not be completed.',
    money: 'Nothing was charged, or any charge has been refunded.',
    next: 'Your cart is still there: please check out again.',
  };
}
