import type { RouteDef } from './route.ts';
import { routes as identityRoutes } from './identity.ts';
import { routes as catalogRoutes } from './catalog.ts';
import { routes as inventoryRoutes } from './inventory.ts';
import { routes as paymentsRoutes } from './payments.ts';
import { routes as pspRoutes } from './psp.ts';
import { routes as cartRoutes } from './cart.ts';
import { routes as ordersRoutes } from './orders.ts';
import { routes as reportsRoutes } from './reports.ts';
import { routes as searchRoutes } from './search.ts';
import { routes as notificationsRoutes } from './notifications.ts';

export * from './common.ts';
export * from './route.ts';
export * as identity from './identity.ts';
export * as catalog from './catalog.ts';
export * as events from './events.ts';
export * as inventory from './inventory.ts';
export * as payments from './payments.ts';
export * as psp from './psp.ts';
export * as cart from './cart.ts';
export * as orders from './orders.ts';
export * as reports from './reports.ts';
export * as search from './search.ts';
export * as notifications from './notifications.ts';
export * as mailSink from './mail-sink.ts';

/**
 * Every route of every Bazaar service (the mail sink, a development tool, is
 * not one). The gateway's routing table and /docs are generated from the
 * public (/api) ones.
 */
export const serviceRoutes: readonly RouteDef[] = [
  identityRoutes,
  catalogRoutes,
  inventoryRoutes,
  cartRoutes,
  ordersRoutes,
  paymentsRoutes,
  pspRoutes,
  notificationsRoutes,
  searchRoutes,
  reportsRoutes,
].flatMap((group) => Object.values(group) as RouteDef[]);
