import { randomUUID } from 'node:crypto';
import type { AuthorizeRequest, Payment, PaymentStatus } from '@bazaar/contracts/payments';
import type { PspAuthorization } from '@bazaar/contracts/psp';
import { errors } from '../errors.ts';
import type { PaymentEvent, PaymentRecord, PaymentRepository } from '../store/index.ts';
import type { PspAction, PspGateway } from '../upstream/psp-sim.ts';

/** Each operation: the status it starts from, and the statuses in which it is already done (a repeat is a no-op). */
const RULES: Record<PspAction, { from: PaymentStatus; done: PaymentStatus[] }> = {
  capture: { from: 'AUTHORIZED', done: ['CAPTURED'] },
  // A declined payment holds no money: voiding it has nothing to do.
  void: { from: 'AUTHORIZED', done: ['VOIDED', 'DECLINED'] },
  refund: { from: 'CAPTURED', done: ['REFUNDED'] },
};

const FROM_PSP: Record<PspAuthorization['status'], PaymentStatus> = {
  authorized: 'AUTHORIZED',
  declined: 'DECLINED',
  captured: 'CAPTURED',
  voided: 'VOIDED',
  refunded: 'REFUNDED',
};

/** The events a move publishes; a jump the PSP made unseen (authorized → refunded) publishes each step. */
function eventsFor(p: PaymentRecord, to: PaymentStatus): PaymentEvent[] {
  const event = (status: 'CAPTURED' | 'VOIDED' | 'REFUNDED'): PaymentEvent => ({
    type: status === 'CAPTURED' ? 'payments.payment-captured' : status === 'VOIDED' ? 'payments.payment-voided' : 'payments.payment-refunded',
    data: { paymentId: p.paymentId, orderId: p.orderId, amount: { amount: p.amount, currency: p.currency }, status },
  });
  switch (to) {
    case 'CAPTURED':
      return [event('CAPTURED')];
    case 'VOIDED':
      return [event('VOIDED')];
    case 'REFUNDED':
      return p.status === 'AUTHORIZED' ? [event('CAPTURED'), event('REFUNDED')] : [event('REFUNDED')];
    case 'AUTHORIZED':
    case 'DECLINED':
      return [];
    default:
      return to satisfies never;
  }
}

export function toPayment(p: PaymentRecord): Payment {
  return {
    paymentId: p.paymentId,
    orderId: p.orderId,
    status: p.status,
    amount: { amount: p.amount, currency: p.currency },
    cardLast4: p.cardLast4,
    ...(p.declineCode === null ? {} : { declineCode: p.declineCode }),
  };
}

/**
 * Payments' rules: one payment per order, authorized at most once at the PSP
 * (the orderId is the PSP's Idempotency-Key), and status changes that follow
 * what the PSP did, each published with its event in the same transaction.
 */
export function createPayments(deps: { payments: PaymentRepository; psp: PspGateway; now?: () => string; newId?: () => string }) {
  const { payments, psp } = deps;
  const now = deps.now ?? (() => new Date().toISOString());
  const newId = deps.newId ?? randomUUID;

  /** Answer for a recorded payment: the same request gets the same answer, a different one is refused. */
  function answer(p: PaymentRecord, request: AuthorizeRequest): Payment {
    if (p.amount !== request.amount.amount || p.currency !== request.amount.currency) {
      throw errors.PAYMENT_MISMATCH(
        `Order ${p.orderId} already has a payment of ${p.amount} ${p.currency}; an order is authorized once, for one amount.`,
        { paymentId: p.paymentId, paymentStatus: p.status },
      );
    }
    if (p.status === 'DECLINED') {
      const code = p.declineCode ?? 'card_declined';
      throw errors.PAYMENT_DECLINED(`The card ending in ${p.cardLast4} was declined (${code}); ask for another card and place a new order.`, {
        declineCode: code,
        paymentId: p.paymentId,
      });
    }
    return toPayment(p);
  }

  async function find(orderId: string): Promise<PaymentRecord> {
    const p = await payments.byOrder(orderId);
    if (!p) throw errors.PAYMENT_NOT_FOUND(`No payment was authorized for order ${orderId}.`);
    return p;
  }

  /** Record what the PSP says the authorization now is, if that differs from ours. */
  async function catchUp(p: PaymentRecord, authorization: PspAuthorization): Promise<PaymentRecord> {
    const to = FROM_PSP[authorization.status];
    if (to === p.status) return p;
    return payments.moveStatus({ orderId: p.orderId, from: p.status, to, events: eventsFor(p, to), now: now() });
  }

  async function act(orderId: string, action: PspAction): Promise<Payment> {
    const rule = RULES[action];
    const p = await find(orderId);
    if (rule.done.includes(p.status)) return toPayment(p);
    if (p.status !== rule.from || p.pspAuthorizationId === null) {
      throw errors.INVALID_TRANSITION(`Cannot ${action} the payment of order ${orderId}: it is ${p.status}, and ${action} needs ${rule.from}.`, { paymentStatus: p.status });
    }
    // No transaction is held across the PSP call; the status change below is conditional on the status we read.
    const { authorization } = await psp.act(p.pspAuthorizationId, action);
    const after = await catchUp(p, authorization);
    if (rule.done.includes(after.status)) return toPayment(after);
    throw errors.INVALID_TRANSITION(`Cannot ${action} the payment of order ${orderId}: it is ${after.status}, and ${action} needs ${rule.from}.`, { paymentStatus: after.status });
  }

  return {
    /** Authorize once per order; a repeat returns the recorded result without calling the PSP. */
    async authorize(request: AuthorizeRequest): Promise<Payment> {
      if (request.amount.amount < 1) throw errors.INVALID_AMOUNT('Authorize at least 1 minor unit; a free order needs no payment.');
      const recorded = await payments.byOrder(request.orderId);
      if (recorded) return answer(recorded, request);
      const outcome = await psp.authorize(request.orderId, { amount: request.amount.amount, currency: request.amount.currency, card: request.card });
      const at = now();
      const stored = await payments.insertOnce({
        paymentId: newId(),
        orderId: request.orderId,
        amount: request.amount.amount,
        currency: request.amount.currency,
        status: outcome.kind === 'authorized' ? 'AUTHORIZED' : 'DECLINED',
        pspAuthorizationId: outcome.kind === 'authorized' ? outcome.authorization.id : outcome.authorizationId,
        // Only the last four digits are ever kept.
        cardLast4: request.card.number.slice(-4),
        declineCode: outcome.kind === 'declined' ? outcome.declineCode : null,
        createdAt: at,
        updatedAt: at,
      });
      return answer(stored, request);
    },

    capture: (orderId: string) => act(orderId, 'capture'),
    void: (orderId: string) => act(orderId, 'void'),
    refund: (orderId: string) => act(orderId, 'refund'),

    async get(orderId: string): Promise<Payment> {
      return toPayment(await find(orderId));
    },
  };
}

export type Payments = ReturnType<typeof createPayments>;
