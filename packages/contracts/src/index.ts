export * from './common.ts';
export * as identity from './identity.ts';
export * as catalog from './catalog.ts';
