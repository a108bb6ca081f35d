/**
 * What the read model keeps from the events it consumes: business facts in
 * integer minor units and UTC instants, without the event envelope.
 */

/** One line of a confirmed order. */
export interface LineFact {
  productId: string;
  name: string;
  quantity: number;
  unitAmount: number;
  lineAmount: number;
  currency: string;
}

export type PaymentStatus = 'CAPTURED' | 'VOIDED' | 'REFUNDED';

export type Fact =
  | { kind: 'order-confirmed'; orderId: string; userId: string; currency: string; total: number; at: Date; lines: LineFact[] }
  | { kind: 'order-cancelled'; orderId: string; userId: string; currency: string; total: number; at: Date; reason: string }
  | { kind: 'payment'; paymentId: string; orderId: string; status: PaymentStatus; amount: number; currency: string; at: Date };
