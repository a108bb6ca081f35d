import { randomUUID } from 'node:crypto';
import { commonErrors } from '@bazaar/kit';
import { MAX_MONEY_AMOUNT, type Money } from '@bazaar/contracts/common';
import type { CreateProductRequest, Product, ProductPage, UpdateProductRequest, Category } from '@bazaar/contracts/catalog';
import { errors } from '../errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { ProductRecord, ProductRepository } from './model.ts';

/**
 * The highest price a product may have, in minor units: Bazaar's one money
 * bound (contracts' MAX_MONEY_AMOUNT), also the most an order may total, so a
 * price the catalog accepts can always be bought at least once. The lowest is
 * one minor unit: a free product cannot be paid for.
 */
export const MAX_PRICE_AMOUNT = MAX_MONEY_AMOUNT;

/** The catalog's business rules: paging, and what makes a product valid. */
export function createCatalog(deps: { products: ProductRepository; currency: string; now?: () => string }) {
  const { products, currency } = deps;
  const now = deps.now ?? (() => new Date().toISOString());

  const toProduct = (r: ProductRecord): Product => ({
    id: r.id,
    sku: r.sku,
    name: r.name,
    description: r.description,
    category: r.category,
    price: { amount: r.priceAmount, currency: r.currency },
    archived: r.archivedAt !== null,
  });

  async function checkCategory(slug: string): Promise<void> {
    if (await products.categoryExists(slug)) return;
    const known = (await products.categories()).map((c) => c.slug).join(', ');
    throw errors.UNKNOWN_CATEGORY(`"${slug}" is not a category; use one of: ${known}.`);
  }

  function checkPrice(price: Money): void {
    if (price.currency !== currency) throw errors.WRONG_CURRENCY(`This catalog prices in ${currency}; got ${price.currency}.`);
    if (price.amount < 1 || price.amount > MAX_PRICE_AMOUNT) {
      throw errors.PRICE_OUT_OF_RANGE(`price.amount is in minor units (cents), from 1 to ${MAX_PRICE_AMOUNT}; got ${price.amount}.`);
    }
  }

  /** The name as stored: trimmed, and not blank (the schema's minLength counts spaces). */
  function cleanName(name: string): string {
    const trimmed = name.trim();
    if (trimmed === '') throw commonErrors.VALIDATION_FAILED('body.name must not be blank', { errors: [{ field: 'body.name', message: 'must not be blank' }] });
    return trimmed;
  }

  return {
    async list(query: { category?: string | undefined; archived?: boolean | undefined; limit?: number | undefined; cursor?: string | undefined }): Promise<ProductPage> {
      let afterId: string | undefined;
      if (query.cursor !== undefined) {
        afterId = decodeCursor(query.cursor);
        if (afterId === undefined) throw errors.INVALID_CURSOR('Pass back the nextCursor of a previous page unchanged, or omit it for the first page.');
      }
      const page = await products.page({
        limit: query.limit ?? 20,
        ...(query.category === undefined ? {} : { category: query.category }),
        ...(query.archived === true ? { archived: true } : {}),
        ...(afterId === undefined ? {} : { afterId }),
      });
      const last = page.items.at(-1);
      return { items: page.items.map(toProduct), nextCursor: page.more && last ? encodeCursor(last.id) : null };
    },

    async get(id: string): Promise<Product> {
      const found = await products.get(id);
      if (!found) throw errors.PRODUCT_NOT_FOUND(`No product has id ${id}.`);
      return toProduct(found);
    },

    /** Many products by id (the cart's one lookup per pricing), in the order asked; unknown ids are left out. */
    async lookup(ids: readonly string[]): Promise<{ items: Product[] }> {
      const found = new Map((await products.getMany(ids)).map((r) => [r.id, r]));
      const items: Product[] = [];
      for (const id of ids) {
        const record = found.get(id);
        if (record) items.push(toProduct(record));
      }
      return { items };
    },

    /** Archive (true) or put back on sale (false); idempotent: the same call again changes nothing. */
    async setArchived(id: string, archived: boolean): Promise<Product> {
      const at = now();
      const result = await products.setArchived(id, archived ? at : null, at);
      if (result === 'missing') throw errors.PRODUCT_NOT_FOUND(`No product has id ${id}.`);
      return toProduct(result);
    },

    async categories(): Promise<Category[]> {
      return products.categories();
    },

    async create(input: CreateProductRequest): Promise<Product> {
      checkPrice(input.price);
      const name = cleanName(input.name);
      await checkCategory(input.category);
      const record: ProductRecord = {
        id: randomUUID(),
        sku: input.sku,
        name,
        description: input.description ?? '',
        category: input.category,
        priceAmount: input.price.amount,
        currency: input.price.currency,
        archivedAt: null,
      };
      if ((await products.insert(record, now())) === 'sku-taken') throw errors.SKU_TAKEN(`SKU ${input.sku} is already used by another product.`);
      return toProduct(record);
    },

    async update(id: string, patch: UpdateProductRequest): Promise<Product> {
      if (patch.price) checkPrice(patch.price);
      const name = patch.name === undefined ? undefined : cleanName(patch.name);
      if (patch.category !== undefined) await checkCategory(patch.category);
      const result = await products.update(
        id,
        {
          ...(patch.sku === undefined ? {} : { sku: patch.sku }),
          ...(name === undefined ? {} : { name }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.category === undefined ? {} : { category: patch.category }),
          ...(patch.price === undefined ? {} : { priceAmount: patch.price.amount, currency: patch.price.currency }),
        },
        now(),
      );
      if (result === 'missing') throw errors.PRODUCT_NOT_FOUND(`No product has id ${id}.`);
      if (result === 'sku-taken') throw errors.SKU_TAKEN(`SKU ${patch.sku ?? ''} is already used by another product.`);
      return toProduct(result);
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
