/**
 * Search query latency, run by `npm run bench` (tools/bench) as a child
 * process: (a) over HTTP against a running search (through the gateway or
 * direct), (b) in process, against this service's own index holding 100,000
 * generated products. It lives here, beside the index, so no tool imports a
 * service's source; it prints its figures as one JSON line on stdout.
 *
 *   node services/search/bench/search.ts [--url baseUrl] [--products n] [--http-queries n] [--in-process-queries n]
 */
import { parseArgs } from 'node:util';
import { routes } from '@bazaar/contracts/search';
import { seededRandom } from '@bazaar/kit';
import { ProductIndex, type IndexedProduct, type SearchParams } from '../src/domain/product-index.ts';

/** One measured run of queries. */
export interface SearchFigures {
  name: string;
  queries: number;
  p50: number;
  p99: number;
  qps: number;
}

/** What the bench prints (as JSON): the measurements, and lines about the index build and snapshot. */
export interface SearchBenchReport {
  results: SearchFigures[];
  notes: string[];
}

const CATEGORIES: { slug: string; adjectives: string[]; nouns: string[] }[] = [
  { slug: 'audio', adjectives: ['Wireless', 'Noise-Cancelling', 'Studio', 'Over-Ear', 'Compact', 'Hi-Fi'], nouns: ['Headphones', 'Earbuds', 'Speaker', 'Soundbar', 'Turntable', 'Amplifier'] },
  { slug: 'electronics', adjectives: ['Smart', '4K', 'Portable', 'Rechargeable', 'Ultra-Slim', 'Waterproof'], nouns: ['Camera', 'Smartwatch', 'Power Bank', 'Projector', 'Drone', 'E-Reader'] },
  { slug: 'computers', adjectives: ['Mechanical', 'Ergonomic', 'Gaming', '27-inch', 'USB-C', 'Silent'], nouns: ['Keyboard', 'Mouse', 'Monitor', 'Laptop Stand', 'Docking Station', 'SSD'] },
  { slug: 'home-kitchen', adjectives: ['Cast-Iron', 'Stainless', 'Non-Stick', 'Ceramic', 'Programmable', 'Bamboo'], nouns: ['Skillet', 'Kettle', 'Coffee Grinder', 'Knife Set', 'Blender', 'Cutting Board'] },
  { slug: 'books', adjectives: ['Illustrated', 'Hardcover', 'Collected', 'Annotated', 'Pocket', 'Complete'], nouns: ['Field Guide', 'Cookbook', 'Atlas', 'Novel', 'Poetry Collection', 'Handbook'] },
  { slug: 'sports-outdoors', adjectives: ['Ultralight', 'Insulated', 'Adjustable', 'All-Weather', 'Foldable', 'Trail'], nouns: ['Backpack', 'Tent', 'Water Bottle', 'Yoga Mat', 'Trekking Poles', 'Sleeping Bag'] },
  { slug: 'toys-games', adjectives: ['Wooden', 'Cooperative', 'Strategy', 'Magnetic', 'Glow-in-the-Dark', 'Classic'], nouns: ['Board Game', 'Puzzle', 'Building Set', 'Card Game', 'Train Set', 'Robot Kit'] },
  { slug: 'fashion', adjectives: ['Organic Cotton', 'Merino', 'Waxed', 'Relaxed-Fit', 'Recycled', 'Quilted'], nouns: ['Jacket', 'Sweater', 'T-Shirt', 'Scarf', 'Sneakers', 'Tote Bag'] },
  { slug: 'beauty', adjectives: ['Hydrating', 'Fragrance-Free', 'Vitamin C', 'Gentle', 'Overnight', 'Mineral'], nouns: ['Face Serum', 'Moisturiser', 'Cleanser', 'Sunscreen', 'Lip Balm', 'Hand Cream'] },
  { slug: 'garden', adjectives: ['Self-Watering', 'Galvanised', 'Solar', 'Heavy-Duty', 'Compact', 'Raised'], nouns: ['Planter', 'Hose Reel', 'Pruning Shears', 'Garden Lights', 'Compost Bin', 'Seed Starter Kit'] },
];
const USES = ['long commutes', 'home studios', 'travel', 'weekend projects', 'small kitchens', 'rainy afternoons', 'camping trips', 'family game nights', 'cold mornings', 'balcony gardens'];
const SYLLABLES = ['zo', 'ra', 'vel', 'quin', 'tor', 'mar', 'lex', 'bri', 'no', 'sta', 'fen', 'dor', 'ka', 'lu', 'pix', 'ar'];

/** `count` realistic products: invented brands (so the vocabulary grows as real catalogs do), adjectives and nouns per category. */
export function generateProducts(count: number, seed = 424242): IndexedProduct[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const brands = Array.from({ length: 2000 }, () => {
    const word = Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(SYLLABLES)).join('');
    return word.charAt(0).toUpperCase() + word.slice(1);
  });
  return Array.from({ length: count }, (_, i) => {
    const category = pick(CATEGORIES);
    const brand = pick(brands);
    const name = `${brand} ${pick(category.adjectives)} ${pick(category.nouns)}${random() < 0.2 ? ` ${pick(['II', 'Pro', 'Plus', 'Mini', 'Max', 'Lite', 'XL'])}` : ''}`;
    return {
      id: `bench-${i}`,
      sku: `BEN-${String(i).padStart(7, '0')}`,
      name,
      description: `Made for ${pick(USES)}. A dependable pick from ${brand}'s ${category.slug.replace('-', ' ')} range.`,
      category: category.slug,
      price: { amount: 500 + Math.floor(random() * 100_000), currency: 'EUR' },
    };
  });
}

/** A typo: one letter dropped from the middle of a word of 5+ letters. */
const typo = (word: string) => (word.length >= 5 ? word.slice(0, 2) + word.slice(3) : word);

/** A deterministic mix of what shoppers type: whole words, prefixes, typos, two words, filters, browsing without words. */
export function queryMix(products: { name: string }[], count: number, seed = 7): Omit<SearchParams, 'offset'>[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const words = pick(products).name.toLowerCase().split(/\s+/).filter((w) => /^[a-z]{3,}$/.test(w));
    const word = pick(words.length > 0 ? words : ['headphones']);
    const kind = i % 6;
    if (kind === 0) return { q: word, limit: 20 };
    if (kind === 1) return { q: word.slice(0, Math.min(word.length, 3 + Math.floor(random() * 3))), limit: 20 };
    if (kind === 2) return { q: typo(word), limit: 20 };
    if (kind === 3) return { q: words.slice(0, 2).join(' ') || word, limit: 20 };
    if (kind === 4) return { q: word, category: pick(CATEGORIES).slug, maxPrice: 50_000, inStock: true, limit: 20 };
    return { category: pick(CATEGORIES).slug, limit: 20 };
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

function figures(name: string, times: number[], elapsedMs: number): SearchFigures {
  const sorted = [...times].sort((a, b) => a - b);
  return { name, queries: times.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), qps: times.length / (elapsedMs / 1000) };
}

function queryString(params: Omit<SearchParams, 'offset'>): string {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) qs.set(key, String(value));
  return qs.toString();
}

async function overHttp(baseUrl: string, count: number): Promise<SearchFigures> {
  // Query words come from the live catalog, so they match what is really indexed.
  const res = await fetch(`${baseUrl}${routes.search.path}?limit=100`);
  if (!res.ok) throw new Error(`GET ${baseUrl}${routes.search.path} answered ${res.status}`);
  const page = (await res.json()) as { items: { name: string }[] };
  const queries = queryMix(page.items, count);
  const times: number[] = [];
  const t0 = performance.now();
  for (const params of queries) {
    const start = performance.now();
    const answer = await fetch(`${baseUrl}${routes.search.path}?${queryString(params)}`);
    await answer.arrayBuffer();
    if (!answer.ok) throw new Error(`search answered ${answer.status} for ${queryString(params)}`);
    times.push(performance.now() - start);
  }
  return figures(`HTTP, one at a time — ${baseUrl}`, times, performance.now() - t0);
}

/** Run the measurements asked for; progress goes to stderr, so stdout stays one JSON document. */
export async function runSearchBench(opts: { baseUrl?: string; products: number; httpQueries: number; inProcessQueries: number }): Promise<SearchBenchReport> {
  const say = (text: string) => process.stderr.write(text);
  const results: SearchFigures[] = [];
  const notes: string[] = [];
  if (opts.baseUrl) {
    say(`  search: ${opts.httpQueries} queries over HTTP…\n`);
    results.push(await overHttp(opts.baseUrl, opts.httpQueries));
  }
  const count = opts.products;
  if (count > 0) {
    say(`  search: indexing ${count.toLocaleString('en')} generated products in process…\n`);
    const products = generateProducts(count);
    const index = ProductIndex.empty();
    let t0 = performance.now();
    for (const p of products) index.upsertProduct(p);
    for (let i = 0; i < products.length; i += 3) index.setStock(products[i]!.id, i % 7);
    notes.push(`index build (${count.toLocaleString('en')} products): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    const json = JSON.stringify(index.toState());
    const saveMs = performance.now() - t0;
    t0 = performance.now();
    ProductIndex.fromState(JSON.parse(json));
    notes.push(`snapshot: ${(json.length / 1e6).toFixed(0)} MB, serialize ${saveMs.toFixed(0)} ms, load ${(performance.now() - t0).toFixed(0)} ms`);
    const queries = queryMix(products, opts.inProcessQueries);
    // A short warm-up, so the figures are not JIT compilation.
    for (const params of queries.slice(0, 50)) index.search({ ...params, offset: 0 });
    const times: number[] = [];
    const start = performance.now();
    for (const params of queries) {
      const q0 = performance.now();
      index.search({ ...params, offset: 0 });
      times.push(performance.now() - q0);
    }
    results.push(figures(`in process — ${count.toLocaleString('en')} products`, times, performance.now() - start));
  }
  return { results, notes };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      products: { type: 'string', default: '100000' },
      'http-queries': { type: 'string', default: '500' },
      'in-process-queries': { type: 'string', default: '2000' },
    },
  });
  const report = await runSearchBench({
    ...(values.url ? { baseUrl: values.url } : {}),
    products: Number(values.products),
    httpQueries: Number(values['http-queries']),
    inProcessQueries: Number(values['in-process-queries']),
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
