import MiniSearch, { type AsPlainObject, type Options, type SearchOptions } from 'minisearch';
import type { Money } from '@bazaar/contracts/common';

/** A product as search knows it: what catalog's product events carry. */
export interface IndexedProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  price: Money;
}

export interface SearchParams {
  q?: string | undefined;
  category?: string | undefined;
  /** Inclusive bounds on price.amount (minor units). */
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  /** true: available > 0 only; false: available = 0 only; undefined: both. */
  inStock?: boolean | undefined;
  limit: number;
  offset: number;
}

export interface SearchHit {
  id: string;
  name: string;
  category: string;
  price: Money;
  available: number;
  score: number;
}

export interface SearchPage {
  items: SearchHit[];
  total: number;
  facets: { category: Record<string, number> };
  /** Offset of the next page, or null when this page is the last. */
  nextOffset: number | null;
}

/** Everything needed to bring an index back without replaying events. */
export interface IndexState {
  products: IndexedProduct[];
  /** [productId, available]: kept apart from products, so stock that arrives first is not lost. */
  stock: [string, number][];
  /** MiniSearch's own serialization of the full-text index. */
  fullText: AsPlainObject;
}

/** The indexed text of a product: what MiniSearch sees. */
interface TextDoc {
  id: string;
  name: string;
  description: string;
  category: string;
  sku: string;
}

/**
 * Relevance: the name weighs most, then the category, then sku and
 * description. Every term also matches as a prefix ("headph") and, from 5
 * characters on, with typos (1 edit, 2 from 8 characters: "headphnes");
 * shorter words would match too many others ("hose" → "home", "rose").
 */
const SEARCH: SearchOptions = {
  boost: { name: 3, category: 1.5, sku: 1, description: 1 },
  prefix: true,
  fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
  maxFuzzy: 2,
};

const OPTIONS: Options<TextDoc> = {
  fields: ['name', 'category', 'sku', 'description'],
  storeFields: [],
  // Slugs like "home-kitchen" are searchable as words ("kitchen").
  extractField: (doc, field) => (field === 'category' ? doc.category.replaceAll('-', ' ') : doc[field as keyof TextDoc]),
  searchOptions: SEARCH,
  // Products are replaced with remove() (exact), never discard(), so there is nothing to vacuum.
  autoVacuum: false,
};

const textOf = (p: IndexedProduct): TextDoc => ({ id: p.id, name: p.name, description: p.description, category: p.category, sku: p.sku });
const sameText = (a: TextDoc, b: TextDoc) => a.name === b.name && a.description === b.description && a.category === b.category && a.sku === b.sku;
/** A product with its sort key computed once (not once per comparison). */
interface Ranked {
  product: IndexedProduct;
  key: string;
  score: number;
}
const ranked = (product: IndexedProduct, score: number): Ranked => ({ product, key: product.name.toLowerCase(), score });
/** Best score first; equal scores by name, then id, so the order is the same after a restart. */
const byRank = (a: Ranked, b: Ranked) =>
  b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.product.id < b.product.id ? -1 : a.product.id > b.product.id ? 1 : 0);
const round = (score: number) => Math.round(score * 1000) / 1000;

/**
 * The search read model: a MiniSearch full-text index over the catalog's
 * products, plus stock per product id. Applying the same product or stock
 * twice changes nothing (upserts), so replaying events is always safe.
 */
export class ProductIndex {
  private fullText: MiniSearch<TextDoc>;
  private readonly products = new Map<string, IndexedProduct>();
  private readonly stock = new Map<string, number>();
  /** Products by name, for queries without words; sorted again lazily after any product changes. */
  private byName: IndexedProduct[] | undefined;

  private constructor(fullText: MiniSearch<TextDoc>) {
    this.fullText = fullText;
  }

  /** An empty index. */
  static empty(): ProductIndex {
    return new ProductIndex(new MiniSearch(OPTIONS));
  }

  /** An index from a saved state; throws when the state is inconsistent. */
  static fromState(state: IndexState): ProductIndex {
    const index = new ProductIndex(MiniSearch.loadJS(state.fullText, OPTIONS));
    for (const p of state.products) index.products.set(p.id, p);
    for (const [id, available] of state.stock) index.stock.set(id, available);
    if (index.fullText.documentCount !== index.products.size || state.products.some((p) => !index.fullText.has(p.id))) {
      throw new Error(`full-text index holds ${index.fullText.documentCount} documents for ${index.products.size} products`);
    }
    return index;
  }

  /** A plain, JSON-ready copy of the whole state. */
  toState(): IndexState {
    return { products: [...this.products.values()], stock: [...this.stock], fullText: this.fullText.toJSON() };
  }

  get productCount(): number {
    return this.products.size;
  }

  /** Add a product or replace it with its newer version. */
  upsertProduct(product: IndexedProduct): void {
    const next: IndexedProduct = { id: product.id, sku: product.sku, name: product.name, description: product.description, category: product.category, price: { amount: product.price.amount, currency: product.price.currency } };
    const previous = this.products.get(product.id);
    this.products.set(product.id, next);
    this.byName = undefined;
    if (previous && sameText(textOf(previous), textOf(next))) return;
    // remove() with the exact indexed text leaves no stale terms behind, so scores stay what a fresh index gives.
    if (previous) this.fullText.remove(textOf(previous));
    this.fullText.add(textOf(next));
  }

  /** Take a product out of the index (archived); its stock is kept for when it comes back. Unknown ids are ignored. */
  removeProduct(productId: string): void {
    const previous = this.products.get(productId);
    if (!previous) return;
    this.products.delete(productId);
    this.byName = undefined;
    this.fullText.remove(textOf(previous));
  }

  /** Record a product's available units (the product may not be known yet). */
  setStock(productId: string, available: number): void {
    this.stock.set(productId, available);
  }

  available(productId: string): number {
    return this.stock.get(productId) ?? 0;
  }

  /** One page of matches, ranked, with the total and category facet counts. */
  search(params: SearchParams): SearchPage {
    const q = params.q?.trim() ?? '';
    // Candidates in rank order; scores parallel to them (none when browsing without words).
    const { products, scores } = q === '' ? { products: this.sortedByName(), scores: undefined } : this.match(q);
    // A Map, not an object: a category named like an Object.prototype key must count like any other.
    const facets = new Map<string, number>();
    const hits: number[] = [];
    for (let i = 0; i < products.length; i++) {
      const p = products[i] as IndexedProduct;
      if (params.minPrice !== undefined && p.price.amount < params.minPrice) continue;
      if (params.maxPrice !== undefined && p.price.amount > params.maxPrice) continue;
      if (params.inStock !== undefined && this.available(p.id) > 0 !== params.inStock) continue;
      facets.set(p.category, (facets.get(p.category) ?? 0) + 1);
      if (params.category !== undefined && p.category !== params.category) continue;
      hits.push(i);
    }
    const end = params.offset + params.limit;
    return {
      items: hits.slice(params.offset, end).map((i) => {
        const p = products[i] as IndexedProduct;
        return { id: p.id, name: p.name, category: p.category, price: p.price, available: this.available(p.id), score: round(scores?.[i] ?? 0) };
      }),
      total: hits.length,
      facets: { category: Object.fromEntries(facets) },
      nextOffset: end < hits.length ? end : null,
    };
  }

  /**
   * Products matching every word of q (AND), best first; when no product
   * has them all, those matching any (OR), so a stray word does not empty the page.
   */
  private sortedByName(): IndexedProduct[] {
    this.byName ??= [...this.products.values()].map((p) => ranked(p, 0)).sort(byRank).map((r) => r.product);
    return this.byName;
  }

  private match(q: string): { products: IndexedProduct[]; scores: number[] } {
    let results = this.fullText.search(q, { combineWith: 'AND' });
    if (results.length === 0) results = this.fullText.search(q, { combineWith: 'OR' });
    const list: Ranked[] = [];
    for (const r of results) {
      const product = this.products.get(r.id as string);
      if (product) list.push(ranked(product, r.score));
    }
    list.sort(byRank);
    return { products: list.map((r) => r.product), scores: list.map((r) => r.score) };
  }
}
