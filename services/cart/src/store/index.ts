export type { CartLimits, CartLine, CartStore, SetQuantityResult } from '../domain/model.ts';
export { openCartDatabase, sqliteCartStore, type CartDatabase, type CartTables, type SqlCartStore } from './sqlite.ts';
export { openRedisCartStore, type RedisCartOptions, type RedisCartStore } from './redis.ts';
