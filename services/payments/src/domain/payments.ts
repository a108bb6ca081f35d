import { randomUUID } from 'node:crypto';
import type { AuthorizeRequest, Payment, PaymentStatus } from '@bazaar/contracts/payments';
import type { PspAuthorization } from '@bazaar/contracts/psp';
import { errors } from '../errors.ts';
import type { AuthorizeOutcome, PaymentEvent, PaymentRecord, PaymentRepository, PspAction, PspGateway } from './model.ts';

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
    case 'PENDING':
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

  /** An order is authorized once, for one amount: another amount under its id is refused. */
  function sameAmount(p: PaymentRecord, request: AuthorizeRequest): void {
    if (p.amount !== request.amount.amount || p.currency !== request.amount.currency) {
      throw errors.PAYMENT_MISMATCH(
        `Order ${p.orderId} already has a payment of ${p.amount} ${p.currency}; an order is authorized once, for one amount.`,
        { paymentId: p.paymentId, paymentStatus: p.status },
      );
    }
  }

  /** Answer for a recorded payment: the same request gets the same answer, a different one is refused. */
  function answer(p: PaymentRecord, request: AuthorizeRequest): Payment {
    sameAmount(p, request);
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

  /**
   * Settle an intent whose PSP answer we never recorded (a crash, a timeout, a
   * freeze): technical cancel by reference at the PSP, which voids whatever it
   * authorized under the orderId and refuses any later authorize under it.
   */
  async function voidIntent(p: PaymentRecord): Promise<PaymentRecord> {
    const auth = await psp.voidReference(p.orderId);
    const to: PaymentStatus = auth ? FROM_PSP[auth.status] : 'VOIDED';
    const after = await payments.moveStatus({
      orderId: p.orderId,
      from: 'PENDING',
      to,
      events: eventsFor(p, to),
      now: now(),
      psp: { authorizationId: auth?.id ?? null, declineCode: auth?.declineCode ?? (auth ? null : 'reference_cancelled') },
    });
    // The authorize settled the intent between our read and our move: catch up with what the PSP now says.
    return auth && after.status !== to ? catchUp(after, auth) : after;
  }

  /** The PSP's answer to an authorize, recorded on the intent (only while it is still PENDING). */
  async function settle(p: PaymentRecord, outcome: AuthorizeOutcome): Promise<PaymentRecord> {
    const to: PaymentStatus = outcome.kind === 'authorized' ? 'AUTHORIZED' : 'DECLINED';
    const after = await payments.moveStatus({
      orderId: p.orderId,
      from: 'PENDING',
      to,
      events: [],
      now: now(),
      psp: {
        authorizationId: outcome.kind === 'authorized' ? outcome.authorization.id : outcome.authorizationId,
        declineCode: outcome.kind === 'declined' ? outcome.declineCode : null,
      },
    });
    // A void by reference got there first (the caller gave up waiting): the PSP voided or refused this
    // authorization already; voiding it by id as well costs one idempotent call and leaves nothing open.
    if (outcome.kind === 'authorized' && after.status === 'VOIDED') await psp.act(outcome.authorization.id, 'void');
    return after;
  }

  return {
    /**
     * Authorize once per order. The intent (PENDING) is recorded before the
     * PSP is called, so an authorization the PSP makes can always be found
     * and voided by order id, even when its answer is lost. A repeat returns
     * the recorded result; a repeat of a PENDING intent asks the PSP again
     * under the same Idempotency-Key (which returns the first result).
     */
    async authorize(request: AuthorizeRequest): Promise<Payment> {
      if (request.amount.amount < 1) throw errors.INVALID_AMOUNT('Authorize at least 1 minor unit; a free order needs no payment.');
      const at = now();
      const intent =
        (await payments.byOrder(request.orderId)) ??
        (await payments.insertOnce({
          paymentId: newId(),
          orderId: request.orderId,
          amount: request.amount.amount,
          currency: request.amount.currency,
          status: 'PENDING',
          pspAuthorizationId: null,
          // Only the last four digits are ever kept.
          cardLast4: request.card.number.slice(-4),
          declineCode: null,
          createdAt: at,
          updatedAt: at,
        }));
      if (intent.status !== 'PENDING') return answer(intent, request);
      sameAmount(intent, request);
      const outcome = await psp.authorize(request.orderId, { amount: request.amount.amount, currency: request.amount.currency, card: request.card });
      return answer(await settle(intent, outcome), request);
    },

    capture: (orderId: string) => act(orderId, 'capture'),
    refund: (orderId: string) => act(orderId, 'refund'),

    /**
     * Void by order id. A PENDING intent, or an order payments has no record
     * of at all, is voided by reference at the PSP: the caller may have given
     * up on an authorize whose answer never arrived. "No payment" (404) is
     * only said once the PSP has confirmed it holds nothing and never will.
     */
    async void(orderId: string): Promise<Payment> {
      const p = await payments.byOrder(orderId);
      if (p?.status === 'PENDING') return toPayment(await voidIntent(p));
      if (p) return act(orderId, 'void');
      const auth = await psp.voidReference(orderId);
      if (!auth) {
        throw errors.PAYMENT_NOT_FOUND(`No payment was authorized for order ${orderId}, and the payment provider will not authorize one for it any more.`, { pspChecked: true });
      }
      // The PSP holds one we have no record of (its intent was lost): record what it is now.
      const at = now();
      return toPayment(
        await payments.insertOnce({
          paymentId: newId(),
          orderId,
          amount: auth.amount,
          currency: auth.currency,
          status: FROM_PSP[auth.status],
          pspAuthorizationId: auth.id,
          cardLast4: auth.last4,
          declineCode: auth.declineCode ?? null,
          createdAt: at,
          updatedAt: at,
        }),
      );
    },

    /**
     * The reconciliation sweep: intents older than `olderThanMs` never got
     * the PSP's answer recorded (payments crashed or froze between the call
     * and the commit, and no void came). Void them by reference at the PSP.
     * `olderThanMs` must exceed the time a checkout may still be authorizing
     * (orders' SAGA_DEADLINE_MS plus a call's timeout).
     */
    async reconcile(opts: { olderThanMs: number; limit?: number }): Promise<{ checked: number; voided: number; failed: number }> {
      const before = new Date(Date.parse(now()) - opts.olderThanMs).toISOString();
      const stale = await payments.pendingBefore(before, opts.limit ?? 100);
      let voided = 0;
      let failed = 0;
      for (const p of stale) {
        try {
          if ((await voidIntent(p)).status === 'VOIDED') voided++;
        } catch {
          failed++;
        }
      }
      return { checked: stale.length, voided, failed };
    },

    async get(orderId: string): Promise<Payment> {
      return toPayment(await find(orderId));
    },
  };
}

export type Payments = ReturnType<typeof createPayments>;
