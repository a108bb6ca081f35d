import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storeLocation } from '../src/index.ts';

test('storeLocation: SQLite in BAZAAR_DATA_DIR without PostgreSQL settings; the service database URL wins over the shared server', () => {
  const config = { BAZAAR_DATA_DIR: '/var/lib/bazaar', BAZAAR_POSTGRES_POOL_SIZE: 3 };
  assert.deepEqual(storeLocation({ service: 'orders', config, databaseUrl: undefined }), { dataDir: '/var/lib/bazaar', postgres: undefined });
  const shared = { ...config, BAZAAR_POSTGRES_URL: 'postgres://app@db:5432' };
  assert.deepEqual(storeLocation({ service: 'orders', config: shared, databaseUrl: undefined }).postgres, { url: 'postgres://app@db:5432/bazaar_orders', poolSize: 3 });
  assert.deepEqual(storeLocation({ service: 'orders', config: shared, databaseUrl: 'postgres://o@h/orders_prod' }).postgres, { url: 'postgres://o@h/orders_prod', poolSize: 3 });
});
