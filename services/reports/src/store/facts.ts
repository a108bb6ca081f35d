import type { Fact } from '../domain/facts.ts';
import { sqlTimestamp } from '../domain/time.ts';
import type { Tx } from './duck.ts';

/**
 * Record one fact, in the caller's transaction. An order's row holds its
 * latest outcome: the orders feed is in order, so the last event wins (a
 * cancellation after a confirmation takes the order out of the sales).
 */
export async function recordFact(tx: Tx, fact: Fact): Promise<void> {
  switch (fact.kind) {
    case 'order-confirmed': {
      await tx.run(
        `INSERT INTO orders VALUES ($orderId, $userId, 'CONFIRMED', $currency, $total, $at::TIMESTAMP, NULL, NULL)
         ON CONFLICT (order_id) DO UPDATE SET status = 'CONFIRMED', currency = excluded.currency, total = excluded.total,
           confirmed_at = excluded.confirmed_at, cancelled_at = NULL, reason = NULL`,
        { orderId: fact.orderId, userId: fact.userId, currency: fact.currency, total: fact.total, at: sqlTimestamp(fact.at) },
      );
      for (const [index, line] of fact.lines.entries()) {
        await tx.run(
          `INSERT INTO order_lines VALUES ($orderId, $lineNo, $productId, $name, $quantity, $unitAmount, $lineAmount, $currency)
           ON CONFLICT DO NOTHING`,
          { orderId: fact.orderId, lineNo: index + 1, productId: line.productId, name: line.name, quantity: line.quantity, unitAmount: line.unitAmount, lineAmount: line.lineAmount, currency: line.currency },
        );
      }
      return;
    }
    case 'order-cancelled':
      await tx.run(
        `INSERT INTO orders VALUES ($orderId, $userId, 'CANCELLED', $currency, $total, NULL, $at::TIMESTAMP, $reason)
         ON CONFLICT (order_id) DO UPDATE SET status = 'CANCELLED', cancelled_at = excluded.cancelled_at, reason = excluded.reason`,
        { orderId: fact.orderId, userId: fact.userId, currency: fact.currency, total: fact.total, at: sqlTimestamp(fact.at), reason: fact.reason },
      );
      return;
    case 'payment':
      // Keyed by payment and status: even two events announcing the same refund count it once.
      await tx.run(
        `INSERT INTO payment_events VALUES ($paymentId, $status, $orderId, $amount, $currency, $at::TIMESTAMP)
         ON CONFLICT DO NOTHING`,
        { paymentId: fact.paymentId, status: fact.status, orderId: fact.orderId, amount: fact.amount, currency: fact.currency, at: sqlTimestamp(fact.at) },
      );
      return;
    default: {
      const never: never = fact;
      throw new Error(`unknown fact ${JSON.stringify(never)}`);
    }
  }
}
