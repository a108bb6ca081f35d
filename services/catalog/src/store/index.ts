import { openStore, prepare, type Store, type StoreLocation } from '@bazaar/store';
import { sql, type Kysely } from 'kysely';
import { appendEvent, type OutboxTables } from '@bazaar/messaging';
import type { ProductChangedData } from '@bazaar/contracts/events';
import { migrations } from '../../migrations/index.ts';
import type { SeedCategory, SeedProduct } from '../domain/seed.ts';
import type { CategoryRecord, ProductRecord, ProductRepository } from '../domain/model.ts';

interface Tables extends OutboxTables {
  categories: { slug: string; name: string };
  products: {
    id: string;
    sku: string;
    name: string;
    description: string;
    category: string;
    price_amount: number;
    price_currency: string;
    created_at: string;
    updated_at: string;
    archived_at: string | null;
  };
  meta: { key: string; value: string };
}

export type CatalogStore = Store<Tables>;

/** Open (and migrate) the catalog's own database. */
export function openCatalogStore(where: StoreLocation): Promise<CatalogStore> {
  return openStore<Tables>({ service: 'catalog', migrations, ...where });
}

type Row = Tables['products'];

function toRecord(row: Row): ProductRecord {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    category: row.category,
    priceAmount: row.price_amount,
    currency: row.price_currency,
    archivedAt: row.archived_at,
  };
}

/** The event payload for a product: the product as it now is. */
function eventData(p: ProductRecord): ProductChangedData {
  return { id: p.id, sku: p.sku, name: p.name, description: p.description, category: p.category, price: { amount: p.priceAmount, currency: p.currency }, archived: p.archivedAt !== null };
}

/** True when a write failed on the unique SKU index. */
function isSkuClash(error: unknown): boolean {
  return /UNIQUE constraint failed: products\.sku|duplicate key value.*sku/i.test(String((error as Error).message));
}

/** All catalog queries. Nothing outside this folder sees SQL or rows. */
export function productRepository(db: Kysely<Tables>): ProductRepository {
  // The shop's most frequent read, compiled once (prepare: Kysely would build and compile it on every call).
  const byId = prepare(db, ['id'], (d, p) => d.selectFrom('products').selectAll().where('id', '=', p.id));
  return {
    /** One page in id order, after `afterId`; fetches one extra row to know whether more follow. */
    async page(opts: { category?: string; archived?: boolean; limit: number; afterId?: string }): Promise<{ items: ProductRecord[]; more: boolean }> {
      let query = db.selectFrom('products').selectAll().where('archived_at', opts.archived === true ? 'is not' : 'is', null).orderBy('id').limit(opts.limit + 1);
      if (opts.category !== undefined) query = query.where('category', '=', opts.category);
      if (opts.afterId !== undefined) query = query.where('id', '>', opts.afterId);
      const rows = await query.execute();
      return { items: rows.slice(0, opts.limit).map(toRecord), more: rows.length > opts.limit };
    },

    async get(id: string): Promise<ProductRecord | undefined> {
      const [row] = await byId({ id });
      return row ? toRecord(row) : undefined;
    },

    /** The products with these ids (one query), in no particular order. */
    async getMany(ids: readonly string[]): Promise<ProductRecord[]> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('products').selectAll().where('id', 'in', [...ids]).execute();
      return rows.map(toRecord);
    },

    /** Insert; returns 'sku-taken' instead of throwing on a duplicate SKU. */
    async insert(product: ProductRecord, now: string): Promise<'ok' | 'sku-taken'> {
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('products')
            .values({
              id: product.id,
              sku: product.sku,
              name: product.name,
              description: product.description,
              category: product.category,
              price_amount: product.priceAmount,
              price_currency: product.currency,
              created_at: now,
              updated_at: now,
            })
            .execute();
          await appendEvent(trx, 'catalog', { type: 'catalog.product-created', subject: product.id, data: eventData(product) });
        });
        return 'ok';
      } catch (error) {
        if (isSkuClash(error)) return 'sku-taken';
        throw error;
      }
    },

    /**
     * Change only the given fields, in one transaction with the event, so two
     * concurrent PATCHes of different fields both survive (no read-modify-write).
     */
    async update(id: string, patch: Partial<Omit<ProductRecord, 'id' | 'archivedAt'>>, now: string): Promise<ProductRecord | 'missing' | 'sku-taken'> {
      const set: Partial<Row> = { updated_at: now };
      if (patch.sku !== undefined) set.sku = patch.sku;
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.description !== undefined) set.description = patch.description;
      if (patch.category !== undefined) set.category = patch.category;
      if (patch.priceAmount !== undefined) set.price_amount = patch.priceAmount;
      if (patch.currency !== undefined) set.price_currency = patch.currency;
      try {
        return await db.transaction().execute(async (trx) => {
          const result = await trx.updateTable('products').set(set).where('id', '=', id).executeTakeFirst();
          if (Number(result.numUpdatedRows) === 0) return 'missing' as const;
          const row = await trx.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
          const product = toRecord(row);
          await appendEvent(trx, 'catalog', { type: 'catalog.product-updated', subject: id, data: eventData(product) });
          return product;
        });
      } catch (error) {
        if (isSkuClash(error)) return 'sku-taken';
        throw error;
      }
    },

    async setArchived(id: string, archivedAt: string | null, now: string): Promise<ProductRecord | 'missing'> {
      return db.transaction().execute(async (trx) => {
        // Only a real change is written and announced: archiving an archived product keeps its first time and sends nothing.
        const changed = await trx
          .updateTable('products')
          .set({ archived_at: archivedAt, updated_at: now })
          .where('id', '=', id)
          .where('archived_at', archivedAt === null ? 'is not' : 'is', null)
          .executeTakeFirst();
        const row = await trx.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return 'missing' as const;
        const product = toRecord(row);
        if (Number(changed.numUpdatedRows) > 0) await appendEvent(trx, 'catalog', { type: 'catalog.product-updated', subject: id, data: eventData(product) });
        return product;
      });
    },

    async categories(): Promise<CategoryRecord[]> {
      const rows = await db
        .selectFrom('categories')
        .leftJoin('products', (join) => join.onRef('products.category', '=', 'categories.slug').on('products.archived_at', 'is', null))
        .select(['categories.slug', 'categories.name', sql<number>`count(products.id)`.as('productCount')])
        .groupBy(['categories.slug', 'categories.name'])
        .orderBy('categories.name')
        .execute();
      return rows.map((r) => ({ slug: r.slug, name: r.name, productCount: Number(r.productCount) }));
    },

    async categoryExists(slug: string): Promise<boolean> {
      return (await db.selectFrom('categories').select('slug').where('slug', '=', slug).executeTakeFirst()) !== undefined;
    },

    /**
     * Seed once: categories and products in one transaction, guarded by a
     * meta row so a restart (or a crash mid-seed, which rolls back) never
     * seeds twice or half. The meta row is claimed first, so of several
     * instances starting at once on one PostgreSQL database one seeds and the
     * others wait on its row, then find it. Returns the number of products inserted.
     */
    async seedOnce(opts: { categories: SeedCategory[]; products: SeedProduct[]; currency: string; now: string }): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const claimed = await trx
          .insertInto('meta')
          .values({ key: 'seeded_at', value: opts.now })
          .onConflict((oc) => oc.column('key').doNothing())
          .returning('key')
          .executeTakeFirst();
        if (!claimed) return 0;
        await trx.insertInto('categories').values(opts.categories).onConflict((oc) => oc.column('slug').doNothing()).execute();
        for (let i = 0; i < opts.products.length; i += 200) {
          const batch = opts.products.slice(i, i + 200).map((p) => ({
            id: p.id,
            sku: p.sku,
            name: p.name,
            description: p.description,
            category: p.category,
            price_amount: p.priceAmount,
            price_currency: opts.currency,
            created_at: opts.now,
            updated_at: opts.now,
          }));
          await trx.insertInto('products').values(batch).execute();
        }
        // Seeded products are announced like any other, so read models (inventory, search) learn them.
        for (const p of opts.products) {
          const record = { id: p.id, sku: p.sku, name: p.name, description: p.description, category: p.category, priceAmount: p.priceAmount, currency: opts.currency, archivedAt: null };
          await appendEvent(trx, 'catalog', { type: 'catalog.product-created', subject: p.id, data: eventData(record) });
        }
        return opts.products.length;
      });
    },

    /** Make sure the category list exists even when seeding is off. */
    async ensureCategories(categories: SeedCategory[]): Promise<void> {
      await db.insertInto('categories').values(categories).onConflict((oc) => oc.column('slug').doNothing()).execute();
    },
  };
}

