import type { ServiceClient } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/payments';
import type { PaymentsPort } from '../domain/model.ts';
import { answered } from './shared.ts';

/** Payments, as the saga sees it (contract: @bazaar/contracts/payments). Declines are results; transient failures throw. */
export function paymentsAdapter(client: ServiceClient): PaymentsPort {
  return {
    async authorize(req) {
      try {
        const { body } = await client.call(routes.authorize, { body: req });
        if (body.status === 'DECLINED') return { ok: false, declineCode: body.declineCode ?? 'card_declined' };
        return { ok: true };
      } catch (error) {
        if (!answered(error, 402)) throw error;
        const code = error.problem?.declineCode;
        return { ok: false, declineCode: typeof code === 'string' ? code : 'card_declined' };
      }
    },
    async capture(orderId) {
      await client.call(routes.capture, { params: { orderId } });
    },
    async void(orderId) {
      try {
        await client.call(routes.void, { params: { orderId } });
        return 'voided';
      } catch (error) {
        // 404 means "nothing to void" only when payments says it checked with the PSP (which then also refuses
        // any later authorize for the order). Any other 404 (an older payments, a wrong route) may hide an
        // authorization the PSP holds: retry rather than leave it open (issue 12).
        if (answered(error, 404, 'PAYMENT_NOT_FOUND') && error.problem?.pspChecked === true) return 'missing';
        if (answered(error, 409)) return 'conflict';
        if (answered(error, 404)) throw new Error(`payments answered 404 to a void without confirming the PSP holds nothing for order ${orderId}; retrying`, { cause: error });
        throw error;
      }
    },
    async refund(orderId) {
      await client.call(routes.refund, { params: { orderId } });
    },
    async status(orderId) {
      try {
        return (await client.call(routes.get, { params: { orderId } })).body.status;
      } catch (error) {
        if (answered(error, 404)) return undefined;
        throw error;
      }
    },
  };
}
