import type { ServiceClient } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/inventory';
import type { InventoryPort } from '../domain/model.ts';
import { answered } from './shared.ts';

/** Inventory, as the saga sees it (contract: @bazaar/contracts/inventory). Business answers are results; transient failures throw. */
export function inventoryAdapter(client: ServiceClient): InventoryPort {
  return {
    async reserve(req) {
      try {
        await client.call(routes.reserve, { body: req });
        return { ok: true };
      } catch (error) {
        if (!answered(error, 409, 'INSUFFICIENT_STOCK')) throw error;
        const productId = error.problem?.productId;
        return { ok: false, productId: typeof productId === 'string' ? productId : undefined, detail: error.problem?.detail ?? '' };
      }
    },
    async commit(orderId) {
      try {
        await client.call(routes.commit, { params: { orderId } });
        return 'committed';
      } catch (error) {
        if (answered(error, 409)) return 'released';
        throw error;
      }
    },
    async release(orderId) {
      try {
        await client.call(routes.release, { params: { orderId } });
        return 'released';
      } catch (error) {
        if (answered(error, 404)) return 'missing';
        if (answered(error, 409)) return 'committed';
        throw error;
      }
    },
  };
}
