import { after } from 'node:test';
import type { Clock } from '@bazaar/kit';
import { testLogger } from '@bazaar/kit/testing';
import { buildApp } from '../src/app.ts';
import { diskImageBytes, openStorefrontStore, productImageRepository, sessionRepository } from '../src/store/index.ts';
import type { ShopApi } from '../src/upstream/shop.ts';

/** The storefront on an in-memory store, talking to `api` (a stand-in shop API); closed after the file's tests. */
export async function storefrontUnderTest(api: ShopApi, opts: { onClose?: () => Promise<void>; clock?: Clock } = {}) {
  const store = await openStorefrontStore({ dataDir: '', inMemory: true });
  const sessions = sessionRepository(store.db);
  const built = buildApp({
    logger: testLogger(),
    api,
    sessions,
    imageRepo: productImageRepository(store.db),
    imageBytes: diskImageBytes('/nonexistent'),
    cookieSecret: 'test-cookie-secret-0123456789abcdef0123',
    defaultMetrics: false,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  after(async () => {
    await built.app.close();
    await opts.onClose?.();
    await store.close();
  });
  return { ...built, store, sessions };
}
