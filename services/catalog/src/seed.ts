import type { Logger } from '@bazaar/kit';
import { SEED_CATEGORIES, generateSeedCatalog } from './domain/seed.ts';
import { productRepository, type CatalogStore } from './store/index.ts';

/** First-start seeding: categories always, the demo products once (when enabled). */
export async function seedCatalog(opts: { store: CatalogStore; currency: string; enabled: boolean; logger: Logger }): Promise<number> {
  const repo = productRepository(opts.store.db);
  await repo.ensureCategories(SEED_CATEGORIES);
  if (!opts.enabled) return 0;
  const started = Date.now();
  const inserted = await repo.seedOnce({ categories: SEED_CATEGORIES, products: generateSeedCatalog(), currency: opts.currency, now: new Date().toISOString() });
  if (inserted > 0) opts.logger.info({ products: inserted, categories: SEED_CATEGORIES.length, ms: Date.now() - started }, 'catalog seeded');
  return inserted;
}
