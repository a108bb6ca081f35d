import { Type, type Static } from 'typebox';
import { Money, MoneySum } from './common.ts';
import { OPERATOR, access, defineRoute } from './route.ts';

/** A calendar day (UTC) or an RFC 3339 date-time with its offset. */
const DATE_OR_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}(?:T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|z|[+-]\\d{2}:\\d{2}))?$';

/** GET /api/reports/sales query. Without from/to the report covers all time. */
export const SalesQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({ pattern: DATE_OR_DATE_TIME, description: 'First day (YYYY-MM-DD, UTC) or instant (date-time) included', examples: ['2026-01-01'] }),
    ),
    to: Type.Optional(
      Type.String({ pattern: DATE_OR_DATE_TIME, description: 'Last day (YYYY-MM-DD, UTC, the whole day) or instant (date-time) included', examples: ['2026-01-31'] }),
    ),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'Only orders in this currency (default: the service\'s REPORTS_CURRENCY)' })),
    top: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'How many products topProducts lists' }),
  },
  { additionalProperties: false },
);
export type SalesQuery = Static<typeof SalesQuery>;

const Count = Type.Integer({ minimum: 0 });

/** Money moved by one kind of payment event in the window. */
const PaymentFigure = Type.Object({ count: Count, amount: MoneySum }, { additionalProperties: false });

/** Sales of the window. Amounts are integer minor units; days are UTC. */
export const SalesReport = Type.Object(
  {
    from: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Start of the window (inclusive); null: the beginning' }),
    to: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'End of the window (exclusive); null: now and on' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    orders: Type.Integer({ minimum: 0, description: 'Orders confirmed in the window and not cancelled since' }),
    revenue: { ...MoneySum, description: 'Net revenue: the totals of those orders less what was refunded of them' },
    grossRevenue: { ...MoneySum, description: 'The totals of those orders, refunds not deducted' },
    refunds: Type.Object({ count: Count, amount: MoneySum }, { additionalProperties: false, description: 'Refunds of those orders, whenever they happened' }),
    averageOrderValue: { ...Money, description: 'revenue / orders, rounded half up to the minor unit; 0 without orders' },
    byDay: Type.Array(
      Type.Object({ day: Type.String({ format: 'date' }), orders: Count, revenue: MoneySum }, { additionalProperties: false }),
      { description: 'Per UTC day of confirmation, oldest first; days without orders are left out' },
    ),
    topProducts: Type.Array(
      Type.Object(
        { productId: Type.String(), name: Type.String(), units: Count, revenue: { ...MoneySum, description: 'Line totals, refunds not deducted' } },
        { additionalProperties: false },
      ),
      { description: 'Most units sold first' },
    ),
    cancelled: Type.Object(
      {
        count: Count,
        byReason: Type.Array(Type.Object({ reason: Type.String(), count: Count }, { additionalProperties: false }), { description: 'Most frequent first' }),
      },
      { additionalProperties: false, description: 'Orders cancelled in the window' },
    ),
    payments: Type.Object(
      { captured: PaymentFigure, voided: PaymentFigure, refunded: PaymentFigure },
      { additionalProperties: false, description: 'Payment events in the window, as payments reported them (for reconciliation)' },
    ),
  },
  { additionalProperties: false },
);
export type SalesReport = Static<typeof SalesReport>;

/** POST /internal/reports/rebuild answer. */
export const RebuildAccepted = Type.Object({ status: Type.Literal('rebuilding'), startedAt: Type.String({ format: 'date-time' }) }, { additionalProperties: false });
export type RebuildAccepted = Static<typeof RebuildAccepted>;

const FeedStatus = Type.Object({ position: Type.Integer({ minimum: 0 }), feed: Type.String() });
export const ReportsRebuildStatus = Type.Object({
  rebuilding: Type.Boolean(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  events: Type.Integer({ minimum: 0 }),
  sources: Type.Record(Type.String(), FeedStatus),
});
export type ReportsRebuildStatus = Static<typeof ReportsRebuildStatus>;

/** The reports service's routes: sales for admins; rebuild for operators (service credential). */
export const routes = {
  sales: defineRoute({
    service: 'reports', method: 'GET', path: '/api/reports/sales', access: access.admin,
    summary: 'Sales of a window of days: orders, revenue, per day, top products, cancellations (admin)',
    description:
      'from/to are inclusive: YYYY-MM-DD is the whole UTC day, a date-time that instant. Without them: all time. ' +
      'Revenue is net of refunds; amounts are integer minor units.',
    tags: ['reports'], query: SalesQuery, responses: { 200: SalesReport }, errors: [400, 401, 403],
  }),
  requestRebuild: defineRoute({
    service: 'reports', method: 'POST', path: '/internal/reports/rebuild', access: access.service(OPERATOR),
    summary: 'Drop the facts and rebuild them from every feed\'s history', tags: ['internal'],
    responses: { 202: RebuildAccepted }, errors: [401, 403],
  }),
  rebuildStatus: defineRoute({
    service: 'reports', method: 'GET', path: '/internal/reports/rebuild', access: access.service(OPERATOR),
    summary: 'Whether a rebuild runs, and the feed positions', tags: ['internal'],
    responses: { 200: ReportsRebuildStatus }, errors: [401, 403],
  }),
};
