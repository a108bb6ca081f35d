import type { ServiceClient } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/cart';
import type { CartPort } from '../domain/model.ts';
import { answered } from './shared.ts';

/** The cart service, as checkout sees it (contract: @bazaar/contracts/cart). */
export function cartAdapter(client: ServiceClient): CartPort {
  return {
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
