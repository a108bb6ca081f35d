import type { SalesFigures } from '../domain/sales.ts';
import type { PaymentStatus } from '../domain/facts.ts';
import { sqlTimestamp } from '../domain/time.ts';
import type { Window } from '../domain/window.ts';
import { num, type Duck } from './duck.ts';

/**
 * The orders that count as sales in a window: confirmed in it, in the
 * currency, not cancelled since; with what was refunded of each (payments'
 * refunds joined at query time, so the two feeds may arrive in any order).
 */
const SOLD = `
  WITH refunds AS (
    SELECT order_id, currency, sum(amount) AS amount FROM payment_events WHERE status = 'REFUNDED' GROUP BY order_id, currency
  ), sold AS (
    SELECT o.order_id, o.total, o.confirmed_at, least(o.total, coalesce(r.amount, 0)) AS refunded
    FROM orders o LEFT JOIN refunds r ON r.order_id = o.order_id AND r.currency = o.currency
    WHERE o.status = 'CONFIRMED' AND o.currency = $currency
      AND o.confirmed_at >= $from::TIMESTAMP AND o.confirmed_at < $to::TIMESTAMP
  )`;

/** Add up a window's figures, all from one snapshot of the database. */
export function salesFigures(duck: Duck, query: { window: Window; currency: string; top: number }): Promise<SalesFigures> {
  const bounds = {
    from: query.window.from ? sqlTimestamp(query.window.from) : '-infinity',
    to: query.window.to ? sqlTimestamp(query.window.to) : 'infinity',
  };
  const params = { ...bounds, currency: query.currency };
  return duck.snapshot(async (tx) => {
    const [totals] = await tx.all(
      `${SOLD} SELECT count(*) AS orders, coalesce(sum(total), 0) AS gross, coalesce(sum(refunded), 0) AS refunded,
         count(*) FILTER (WHERE refunded > 0) AS refunded_orders FROM sold`,
      params,
    );
    const byDay = await tx.all(
      `${SOLD} SELECT strftime(confirmed_at, '%Y-%m-%d') AS day, count(*) AS orders, sum(total) AS gross, sum(refunded) AS refunded
       FROM sold GROUP BY day ORDER BY day`,
      params,
    );
    const top = await tx.all(
      `${SOLD} SELECT l.product_id, arg_max(l.name, s.confirmed_at) AS name, sum(l.quantity) AS units, sum(l.line_amount) AS revenue
       FROM order_lines l JOIN sold s ON s.order_id = l.order_id
       GROUP BY l.product_id ORDER BY units DESC, revenue DESC, l.product_id LIMIT $top`,
      { ...params, top: query.top },
    );
    const cancelled = await tx.all(
      `SELECT reason, count(*) AS count FROM orders
       WHERE status = 'CANCELLED' AND currency = $currency AND cancelled_at >= $from::TIMESTAMP AND cancelled_at < $to::TIMESTAMP
       GROUP BY reason ORDER BY count DESC, reason`,
      params,
    );
    const payments = await tx.all(
      `SELECT status, count(*) AS count, sum(amount) AS amount FROM payment_events
       WHERE currency = $currency AND happened_at >= $from::TIMESTAMP AND happened_at < $to::TIMESTAMP GROUP BY status`,
      params,
    );
    const byStatus = (status: PaymentStatus) => {
      const row = payments.find((p) => p.status === status);
      return { count: num(row?.count), amount: num(row?.amount) };
    };
    return {
      orders: num(totals?.orders),
      gross: num(totals?.gross),
      refunded: num(totals?.refunded),
      refundedOrders: num(totals?.refunded_orders),
      byDay: byDay.map((d) => ({ day: String(d.day), orders: num(d.orders), gross: num(d.gross), refunded: num(d.refunded) })),
      topProducts: top.map((p) => ({ productId: String(p.product_id), name: String(p.name), units: num(p.units), revenue: num(p.revenue) })),
      cancelled: cancelled.map((c) => ({ reason: String(c.reason), count: num(c.count) })),
      payments: { CAPTURED: byStatus('CAPTURED'), VOIDED: byStatus('VOIDED'), REFUNDED: byStatus('REFUNDED') },
    };
  });
}
