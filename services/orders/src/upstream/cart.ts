import type { ServiceClient } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/cart';
import type { CartPort } from '../domain/model.ts';
import { answered } from './shared.ts';

/**
 * The cart service, as checkout sees it (contract: @bazaar/contracts/cart).
 * `clearing` is a second client for the cart, without retries and with its
 * own circuit breaker: a cart too slow for the short clearing bound must not
 * open the breaker that the next checkout's cart read goes through.
 */
export function cartAdapter(client: ServiceClient, clearing: ServiceClient): CartPort {
  return {
    async removeOrdered({ userId, orderId, cartVersion, items }, { timeoutMs }) {
      await clearing.call(routes.removeOrdered, { params: { userId }, body: { orderId, cartVersion, items } }, { timeoutMs, idempotent: false });
    },
    async pricedCart(userId) {
      try {
        return (await client.call(routes.pricedCart, { params: { userId } })).body;
      } catch (error) {
        // No cart yet is an empty cart.
        if (answered(error, 404)) return { items: [], total: { amount: 0, currency: 'EUR' }, version: 'empty' };
        throw error;
      }
    },
  };
}
