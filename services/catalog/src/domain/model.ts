/**
 * What the catalog's domain needs from the outside (ports), implemented by
 * store/. Free of SQL and driver types, so the domain never imports store/.
 */
import type { SeedCategory, SeedProduct } from './seed.ts';

/** A product as the domain sees it. */
export interface ProductRecord {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceAmount: number;
  currency: string;
  /** When an admin archived it; null while on sale. */
  archivedAt: string | null;
}

/** A category with the number of products filed under it. */
export interface CategoryRecord {
  slug: string;
  name: string;
  productCount: number;
}

/** Where products and categories are kept; every write carries its event (outbox) in the same transaction. */
export interface ProductRepository {
  /** One page of products on sale (or, with `archived`, only archived ones) in id order, after `afterId`; `more` tells whether more follow. */
  page(opts: { category?: string; archived?: boolean; limit: number; afterId?: string }): Promise<{ items: ProductRecord[]; more: boolean }>;
  get(id: string): Promise<ProductRecord | undefined>;
  /** The products with these ids (one query), in no particular order. */
  getMany(ids: readonly string[]): Promise<ProductRecord[]>;
  /** Insert; 'sku-taken' instead of throwing on a duplicate SKU. */
  insert(product: ProductRecord, now: string): Promise<'ok' | 'sku-taken'>;
  /** Change only the given fields (two concurrent PATCHes of different fields both survive). */
  update(id: string, patch: Partial<Omit<ProductRecord, 'id' | 'archivedAt'>>, now: string): Promise<ProductRecord | 'missing' | 'sku-taken'>;
  /** Archive (a time) or unarchive (null); the event goes out only when the state changes, so repeating is harmless. */
  setArchived(id: string, archivedAt: string | null, now: string): Promise<ProductRecord | 'missing'>;
  /** Categories with the number of products on sale in each. */
  categories(): Promise<CategoryRecord[]>;
  categoryExists(slug: string): Promise<boolean>;
  /** Seed once (guarded, all or nothing); the number of products inserted, 0 when already seeded. */
  seedOnce(opts: { categories: SeedCategory[]; products: SeedProduct[]; currency: string; now: string }): Promise<number>;
  /** Make sure the category list exists even when seeding is off. */
  ensureCategories(categories: SeedCategory[]): Promise<void>;
}
