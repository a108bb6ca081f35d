import type { SalesQuery, SalesReport } from '@bazaar/contracts/reports';
import type { PaymentStatus } from './facts.ts';
import { parseWindow, type Window } from './window.ts';

/** What the store adds up for one window and currency; amounts in minor units. */
export interface SalesFigures {
  /** Confirmed (and not since cancelled) orders: count, totals, and what was refunded of them. */
  orders: number;
  gross: number;
  refunded: number;
  refundedOrders: number;
  byDay: { day: string; orders: number; gross: number; refunded: number }[];
  topProducts: { productId: string; name: string; units: number; revenue: number }[];
  cancelled: { reason: string; count: number }[];
  payments: Record<PaymentStatus, { count: number; amount: number }>;
}

/** `total / count` in minor units, rounded half up; 0 when there is nothing to divide. */
export function averageAmount(total: number, count: number): number {
  if (count <= 0) return 0;
  return Math.floor((2 * total + count) / (2 * count));
}

/**
 * The sales report. Revenue is net: an order's total less what was refunded
 * of it (never below zero), counted on the day the order was confirmed, so a
 * window's figures describe the orders confirmed in it and what became of them.
 */
export function salesReport(figures: SalesFigures, opts: { window: Window; currency: string }): SalesReport {
  const money = (amount: number) => ({ amount, currency: opts.currency });
  const revenue = figures.gross - figures.refunded;
  const cancelled = figures.cancelled.reduce((sum, r) => sum + r.count, 0);
  return {
    from: opts.window.from?.toISOString() ?? null,
    to: opts.window.to?.toISOString() ?? null,
    currency: opts.currency,
    orders: figures.orders,
    revenue: money(revenue),
    grossRevenue: money(figures.gross),
    refunds: { count: figures.refundedOrders, amount: money(figures.refunded) },
    averageOrderValue: money(averageAmount(revenue, figures.orders)),
    byDay: figures.byDay.map((d) => ({ day: d.day, orders: d.orders, revenue: money(d.gross - d.refunded) })),
    topProducts: figures.topProducts.map((p) => ({ productId: p.productId, name: p.name, units: p.units, revenue: money(p.revenue) })),
    cancelled: { count: cancelled, byReason: figures.cancelled },
    payments: {
      captured: { count: figures.payments.CAPTURED.count, amount: money(figures.payments.CAPTURED.amount) },
      voided: { count: figures.payments.VOIDED.count, amount: money(figures.payments.VOIDED.amount) },
      refunded: { count: figures.payments.REFUNDED.count, amount: money(figures.payments.REFUNDED.amount) },
    },
  };
}

/** Where the figures come from (the store). */
export interface FiguresSource {
  sales(query: { window: Window; currency: string; top: number }): Promise<SalesFigures>;
}

/** The reports the API serves. `currency` is the default when a query names none. */
export function createReports(deps: { figures: FiguresSource; currency: string }) {
  return {
    /** Sales of a window; throws INVALID_DATE / INVALID_RANGE for a bad from/to. */
    async sales(query: SalesQuery): Promise<SalesReport> {
      const window = parseWindow(query);
      const currency = query.currency ?? deps.currency;
      const figures = await deps.figures.sales({ window, currency, top: query.top });
      return salesReport(figures, { window, currency });
    },
  };
}

export type Reports = ReturnType<typeof createReports>;
