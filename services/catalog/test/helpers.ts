import { createAuthenticator } from '@bazaar/kit';
import type { StoreLocation } from '@bazaar/store';
import { createTestKeys, testLogger, testCredentials } from '@bazaar/kit/testing';
import { buildApp } from '../src/app.ts';
import { openCatalogStore } from '../src/store/index.ts';
import { seedCatalog } from '../src/seed.ts';

/** A catalog app over an in-memory store (or one at `where`), seeded, with test signing keys. */
export async function startCatalog(opts: { seed?: boolean; where?: StoreLocation } = {}) {
  const store = await openCatalogStore(opts.where ?? { dataDir: '', inMemory: true });
  await seedCatalog({ store, currency: 'EUR', enabled: opts.seed ?? true, logger: testLogger() });
  const keys = await createTestKeys();
  const app = buildApp({ store, logger: testLogger(), auth: createAuthenticator(keys.keys), currency: 'EUR', credentials: testCredentials('catalog'), defaultMetrics: false });
  const admin = await keys.sign({ sub: 'admin-1', roles: ['admin', 'customer'] });
  const customer = await keys.sign({ sub: 'cust-1', roles: ['customer'] });
  app.addHook('onClose', async () => store.close());
  return { app, store, keys, admin, customer };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const lamp = {
  sku: 'LAMP-0001',
  name: 'Desk Lamp',
  description: 'Warm light for late work.',
  category: 'home-kitchen',
  price: { amount: 2599, currency: 'EUR' },
};
