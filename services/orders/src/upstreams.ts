import { UpstreamError, createServiceClient, type ServiceClient } from '@bazaar/kit';
import { Cart } from '@bazaar/contracts/cart';
import type { CartPort } from './domain/checkout.ts';
import type { InventoryPort, PaymentsPort } from './domain/saga.ts';

/**
 * The HTTP side of the services orders calls (contracts: cart.ts,
 * inventory.ts, payments.ts). Business answers become results; transient
 * failures (timeouts, refused connections, 5xx, an open breaker) are thrown
 * for the saga to retry.
 */

export interface UpstreamSettings {
  cartUrl: string;
  inventoryUrl: string;
  paymentsUrl: string;
  serviceToken: string;
  /** Timeout of one call, so a checkout answers within its wait. */
  timeoutMs: number;
  /** How long an open breaker waits before a trial call. */
  breakerHalfOpenAfterMs?: number;
}

export interface Upstreams {
  cart: CartPort;
  inventory: InventoryPort;
  payments: PaymentsPort;
  close(): Promise<void>;
}

const id = (orderId: string) => encodeURIComponent(orderId);

/** The answer of an upstream, when it answered `status` (optionally with problem code `code`). */
function answered(error: unknown, status: number, code?: string): error is UpstreamError {
  return error instanceof UpstreamError && error.upstreamStatus === status && (code === undefined || error.problem?.code === code);
}

/** Clients for cart, inventory and payments, with the service credential. */
export function createUpstreams(settings: UpstreamSettings): Upstreams {
  const client = (name: string, baseUrl: string, retries: number): ServiceClient =>
    createServiceClient({
      name,
      baseUrl,
      serviceToken: settings.serviceToken,
      timeoutMs: settings.timeoutMs,
      retries,
      ...(settings.breakerHalfOpenAfterMs === undefined ? {} : { breakerHalfOpenAfterMs: settings.breakerHalfOpenAfterMs }),
    });
  // The saga retries the inventory and payments calls itself (with its deadline); only the cart read is retried here.
  const cart = client('cart', settings.cartUrl, 1);
  const inventory = client('inventory', settings.inventoryUrl, 0);
  const payments = client('payments', settings.paymentsUrl, 0);

  return {
    cart: {
      async pricedCart(userId) {
        try {
          const res = await cart.call({ method: 'GET', path: `/internal/carts/${encodeURIComponent(userId)}`, response: Cart });
          return res.body;
        } catch (error) {
          // No cart yet is an empty cart.
          if (answered(error, 404)) return { items: [], total: { amount: 0, currency: 'EUR' } };
          throw error;
        }
      },
    },

    inventory: {
      async reserve(req) {
        try {
          await inventory.call({ method: 'POST', path: '/internal/inventory/reservations', body: req });
          return { ok: true };
        } catch (error) {
          if (!answered(error, 409, 'INSUFFICIENT_STOCK')) throw error;
          const productId = error.problem?.productId;
          return { ok: false, productId: typeof productId === 'string' ? productId : undefined, detail: error.problem?.detail ?? '' };
        }
      },
      async commit(orderId) {
        try {
          await inventory.call({ method: 'POST', path: `/internal/inventory/reservations/${id(orderId)}/commit` });
          return 'committed';
        } catch (error) {
          if (answered(error, 409)) return 'released';
          throw error;
        }
      },
      async release(orderId) {
        try {
          await inventory.call({ method: 'POST', path: `/internal/inventory/reservations/${id(orderId)}/release` });
          return 'released';
        } catch (error) {
          if (answered(error, 404)) return 'missing';
          if (answered(error, 409)) return 'committed';
          throw error;
        }
      },
    },

    payments: {
      async authorize(req) {
        try {
          const res = await payments.call({ method: 'POST', path: '/internal/payments/authorize', body: req });
          const body = res.body as { status?: unknown; declineCode?: unknown } | undefined;
          if (body?.status === 'DECLINED') return { ok: false, declineCode: typeof body.declineCode === 'string' ? body.declineCode : 'card_declined' };
          return { ok: true };
        } catch (error) {
          if (!answered(error, 402)) throw error;
          const code = error.problem?.declineCode;
          return { ok: false, declineCode: typeof code === 'string' ? code : 'card_declined' };
        }
      },
      async capture(orderId) {
        await payments.call({ method: 'POST', path: `/internal/payments/${id(orderId)}/capture` });
      },
      async void(orderId) {
        try {
          await payments.call({ method: 'POST', path: `/internal/payments/${id(orderId)}/void` });
          return 'voided';
        } catch (error) {
          if (answered(error, 404)) return 'missing';
          if (answered(error, 409)) return 'conflict';
          throw error;
        }
      },
      async refund(orderId) {
        await payments.call({ method: 'POST', path: `/internal/payments/${id(orderId)}/refund` });
      },
      async status(orderId) {
        try {
          const res = await payments.call({ method: 'GET', path: `/internal/payments/${id(orderId)}` });
          const status = (res.body as { status?: unknown } | undefined)?.status;
          return typeof status === 'string' ? status : undefined;
        } catch (error) {
          if (answered(error, 404)) return undefined;
          throw error;
        }
      },
    },

    async close() {
      await Promise.all([cart.close(), inventory.close(), payments.close()]);
    },
  };
}
