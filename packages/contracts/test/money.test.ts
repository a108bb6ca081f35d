// The one money bound (issue 11 #5) and what it does not cover: sums over many orders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { MAX_MONEY_AMOUNT, Money, PositiveMoney } from '../src/common.ts';
import { SalesReport } from '../src/reports.ts';
import { AuthorizeRequest } from '../src/payments.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

test('an amount is within 0..MAX_MONEY_AMOUNT; a charged one is at least one minor unit', () => {
  assert.ok(Value.Check(Money, eur(MAX_MONEY_AMOUNT)));
  assert.ok(!Value.Check(Money, eur(MAX_MONEY_AMOUNT + 1)));
  assert.ok(!Value.Check(PositiveMoney, eur(0)));
  const card = { number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123' };
  assert.ok(!Value.Check(AuthorizeRequest, { orderId: 'o1', amount: eur(0), card }), 'payments never authorizes 0');
  assert.ok(Value.Check(AuthorizeRequest, { orderId: 'o1', amount: eur(MAX_MONEY_AMOUNT), card }));
});

test("a sales report's sums may pass the bound of one amount (two maximal orders), and its document says so", () => {
  const twice = eur(2 * MAX_MONEY_AMOUNT);
  const report = {
    from: null,
    to: null,
    currency: 'EUR',
    orders: 2,
    revenue: twice,
    grossRevenue: twice,
    refunds: { count: 0, amount: eur(0) },
    averageOrderValue: eur(MAX_MONEY_AMOUNT),
    byDay: [{ day: '2026-12-05', orders: 2, revenue: twice }],
    topProducts: [{ productId: 'p1', name: 'Dear thing', units: 2, revenue: twice }],
    cancelled: { count: 0, byReason: [] },
    payments: { captured: { count: 2, amount: twice }, voided: { count: 0, amount: eur(0) }, refunded: { count: 0, amount: eur(0) } },
  };
  const extra = Object.fromEntries(Object.keys(SalesReport.properties).filter((k) => !(k in report)).map((k) => [k, undefined]));
  assert.deepEqual(Object.keys(extra), [], `the test builds every field of SalesReport: ${Object.keys(extra).join(', ')}`);
  assert.ok(Value.Check(SalesReport, report), JSON.stringify([...Value.Errors(SalesReport, report)].slice(0, 3)));
});
