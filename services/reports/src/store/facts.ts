import type { Fact } from '../domain/facts.ts';
import { sqlTimestamp } from '../domain/time.ts';
import { columns, type Tx } from './duck.ts';

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

const keyOf = (fact: Fact): string => (fact.kind === 'payment' ? `p:${fact.paymentId}:${fact.status}` : `o:${fact.orderId}`);

/**
 * Record many facts (in feed order), in the caller's transaction, with a few
 * multi-row statements instead of one statement per row: a DuckDB statement
 * costs far more than the rows it carries. The rows go as one list parameter
 * per column (`columns`), not a parameter per value. Facts are taken in runs with no
 * key twice (an order, or a payment's status), and each run is written in one
 * INSERT per table; a key seen again starts the next run, so "the last event
 * wins" still holds: same outcome as recordFact one by one.
 */
export async function recordFacts(tx: Tx, facts: readonly Fact[]): Promise<void> {
  let run: Fact[] = [];
  const keys = new Set<string>();
  for (const fact of facts) {
    const key = keyOf(fact);
    if (keys.has(key)) {
      await writeRun(tx, run);
      run = [];
      keys.clear();
    }
    keys.add(key);
    run.push(fact);
  }
  await writeRun(tx, run);
}

async function writeRun(tx: Tx, run: Fact[]): Promise<void> {
  const confirmed = run.filter((f) => f.kind === 'order-confirmed');
  const cancelled = run.filter((f) => f.kind === 'order-cancelled');
  const payments = run.filter((f) => f.kind === 'payment');
  if (confirmed.length > 0) {
    const v = columns('c', confirmed.map((f) => [f.orderId, f.userId, f.currency, f.total, sqlTimestamp(f.at)]), ['VARCHAR', 'VARCHAR', 'VARCHAR', 'BIGINT', 'TIMESTAMP']);
    await tx.run(
      `INSERT INTO orders SELECT col0, col1, 'CONFIRMED', col2, col3, col4, NULL, NULL FROM (${v.select})
       ON CONFLICT (order_id) DO UPDATE SET status = 'CONFIRMED', currency = excluded.currency, total = excluded.total,
         confirmed_at = excluded.confirmed_at, cancelled_at = NULL, reason = NULL`,
      v.params,
      v.types,
    );
    const lines = confirmed.flatMap((f) => f.lines.map((l, i) => [f.orderId, i + 1, l.productId, l.name, l.quantity, l.unitAmount, l.lineAmount, l.currency]));
    if (lines.length > 0) {
      const l = columns('l', lines, ['VARCHAR', 'INTEGER', 'VARCHAR', 'VARCHAR', 'INTEGER', 'BIGINT', 'BIGINT', 'VARCHAR']);
      await tx.run(`INSERT INTO order_lines SELECT * FROM (${l.select}) ON CONFLICT DO NOTHING`, l.params, l.types);
    }
  }
  if (cancelled.length > 0) {
    const v = columns('x', cancelled.map((f) => [f.orderId, f.userId, f.currency, f.total, sqlTimestamp(f.at), f.reason]), ['VARCHAR', 'VARCHAR', 'VARCHAR', 'BIGINT', 'TIMESTAMP', 'VARCHAR']);
    await tx.run(
      `INSERT INTO orders SELECT col0, col1, 'CANCELLED', col2, col3, NULL, col4, col5 FROM (${v.select})
       ON CONFLICT (order_id) DO UPDATE SET status = 'CANCELLED', cancelled_at = excluded.cancelled_at, reason = excluded.reason`,
      v.params,
      v.types,
    );
  }
  if (payments.length > 0) {
    const v = columns('p', payments.map((f) => [f.paymentId, f.status, f.orderId, f.amount, f.currency, sqlTimestamp(f.at)]), ['VARCHAR', 'VARCHAR', 'VARCHAR', 'BIGINT', 'VARCHAR', 'TIMESTAMP']);
    await tx.run(`INSERT INTO payment_events SELECT * FROM (${v.select}) ON CONFLICT DO NOTHING`, v.params, v.types);
  }
}
