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
        if (answered(error, 404)) return 'missing';
        if (answered(error, 409)) return 'conflict';
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
