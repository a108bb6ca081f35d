export * from './common.ts';
export * as identity from './identity.ts';
export * as catalog from './catalog.ts';
export * as events from './events.ts';
export * as inventory from './inventory.ts';
export * as payments from './payments.ts';
export * as psp from './psp.ts';
export * as cart from './cart.ts';
export * as orders from './orders.ts';
