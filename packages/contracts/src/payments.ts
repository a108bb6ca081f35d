import { Type, type Static } from 'typebox';
import { Money, PositiveMoney } from './common.ts';
import { OPERATOR, access, defineRoute } from './route.ts';

/** Contract of the payments service (internal only, service token): /internal/payments. */

export const Card = Type.Object(
  {
    number: Type.String({ pattern: '^[0-9]{12,19}$', description: 'Digits only; never stored or logged beyond the last four' }),
    expMonth: Type.Integer({ minimum: 1, maximum: 12 }),
    expYear: Type.Integer({ minimum: 2000, maximum: 2100 }),
    cvc: Type.String({ pattern: '^[0-9]{3,4}$' }),
  },
  { additionalProperties: false },
);
export type Card = Static<typeof Card>;

export const PaymentStatus = Type.Union([
  /** The intent, recorded before the PSP is called: the PSP may or may not have authorized (a crash, a timeout). */
  Type.Literal('PENDING'),
  Type.Literal('AUTHORIZED'),
  Type.Literal('DECLINED'),
  Type.Literal('CAPTURED'),
  Type.Literal('VOIDED'),
  Type.Literal('REFUNDED'),
]);
export type PaymentStatus = Static<typeof PaymentStatus>;

/** POST /internal/payments/authorize — idempotent by orderId (the same order is never authorized twice). */
export const AuthorizeRequest = Type.Object(
  { orderId: Type.String({ minLength: 1, maxLength: 100 }), amount: PositiveMoney, card: Card },
  { additionalProperties: false },
);
export type AuthorizeRequest = Static<typeof AuthorizeRequest>;

export const Payment = Type.Object({
  paymentId: Type.String(),
  orderId: Type.String(),
  status: PaymentStatus,
  amount: Money,
  cardLast4: Type.String(),
  /** Set when DECLINED: card_declined, insufficient_funds, … */
  declineCode: Type.Optional(Type.String()),
});
export type Payment = Static<typeof Payment>;

export const OrderIdParams = Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 100 }) });

const orders = access.service('orders');
// Reads are open to the operator's tools too (invariant checks); moving money is the saga's alone.
const ordersOrOperator = access.service('orders', OPERATOR);
const paymentAction = (action: 'capture' | 'void' | 'refund', summary: string) =>
  defineRoute({
    service: 'payments', method: 'POST', path: `/internal/payments/:orderId/${action}`, access: orders,
    summary, tags: ['payments'], params: OrderIdParams, responses: { 200: Payment }, errors: [400, 401, 403, 404, 409, 503, 504], idempotent: true,
  });

/** payments' routes: internal only (service credential); the checkout saga in orders is the caller. */
export const routes = {
  authorize: defineRoute({
    service: 'payments', method: 'POST', path: '/internal/payments/authorize', access: orders,
    summary: 'Authorize the amount of an order on a card (idempotent by orderId, also across PSP timeouts)', tags: ['payments'],
    body: AuthorizeRequest, responses: { 201: Payment }, errors: [400, 401, 402, 403, 409, 503, 504],
  }),
  get: defineRoute({
    service: 'payments', method: 'GET', path: '/internal/payments/:orderId', access: ordersOrOperator,
    summary: "An order's payment", tags: ['payments'],
    params: OrderIdParams, responses: { 200: Payment }, errors: [400, 401, 403, 404],
  }),
  capture: paymentAction('capture', 'Capture an authorized payment (idempotent)'),
  void: paymentAction('void', 'Void an authorized payment (idempotent; a declined one is a no-op)'),
  refund: paymentAction('refund', 'Refund a captured payment (idempotent)'),
};
