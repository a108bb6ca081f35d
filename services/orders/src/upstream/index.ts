import { createServiceClient, type ServiceClient, type ServiceCredentials } from '@bazaar/kit';
import type { CartPort, InventoryPort, NotificationsPort, PaymentsPort } from '../domain/model.ts';
import { cartAdapter } from './cart.ts';
import { inventoryAdapter } from './inventory.ts';
import { notificationsAdapter } from './notifications.ts';
import { paymentsAdapter } from './payments.ts';

/**
 * The services orders calls, over the kit's typed client with the service
 * credential. The saga retries inventory and payments itself (with its
 * deadline), so only the cart read is retried by the client; telling the cart
 * an order is confirmed is tried once (the event is the guarantee).
 */

export interface UpstreamSettings {
  cartUrl: string;
  inventoryUrl: string;
  paymentsUrl: string;
  /** Read by the back office's order page only (the emails sent about an order). */
  notificationsUrl: string;
  credentials: ServiceCredentials;
  /** Timeout of one call, so a checkout answers within its wait. */
  timeoutMs: number;
  /** How long an open breaker waits before a trial call. */
  breakerHalfOpenAfterMs?: number;
}

export interface Upstreams {
  cart: CartPort;
  inventory: InventoryPort;
  payments: PaymentsPort;
  notifications: NotificationsPort;
  close(): Promise<void>;
}

/** Clients for cart, inventory, payments and notifications. */
export function createUpstreams(settings: UpstreamSettings): Upstreams {
  const client = (name: string, baseUrl: string, retries: number): ServiceClient =>
    createServiceClient({
      name,
      baseUrl,
      credentials: settings.credentials,
      timeoutMs: settings.timeoutMs,
      retries,
      ...(settings.breakerHalfOpenAfterMs === undefined ? {} : { breakerHalfOpenAfterMs: settings.breakerHalfOpenAfterMs }),
    });
  const cart = client('cart', settings.cartUrl, 1);
  const cartClearing = client('cart', settings.cartUrl, 0);
  const inventory = client('inventory', settings.inventoryUrl, 0);
  const payments = client('payments', settings.paymentsUrl, 0);
  const notifications = client('notifications', settings.notificationsUrl, 0);
  return {
    cart: cartAdapter(cart, cartClearing),
    inventory: inventoryAdapter(inventory),
    payments: paymentsAdapter(payments),
    notifications: notificationsAdapter(notifications),
    async close() {
      await Promise.all([cart.close(), cartClearing.close(), inventory.close(), payments.close(), notifications.close()]);
    },
  };
}
