// The domain index on its own: matching, ranking, filters, facets, pages,
// idempotent upserts and stock that arrives before its product.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProductIndex, type IndexedProduct } from '../src/domain/product-index.ts';
import { runSearch } from '../src/domain/search.ts';
import { decodeCursor, encodeCursor } from '../src/domain/cursor.ts';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const P = (id: string, name: string, category: string, amount: number, description = ''): IndexedProduct => ({ id, sku: `SKU-${id}`, name, description, category, price: eur(amount) });

const CATALOG: IndexedProduct[] = [
  P('a1', 'Zephyrine Studio Headphones', 'audio', 12_999, 'Closed-back headphones for mixing.'),
  P('a2', 'Sonora Wireless Headphones', 'audio', 8_999, 'Made for long commutes.'),
  P('a3', 'Bassline Compact Speaker', 'audio', 4_999, 'Fills a room with sound.'),
  P('a4', 'Quietwave Noise-Cancelling Earbuds', 'audio', 15_999, 'Made for the gym. Pairs with any headphones case.'),
  P('e1', 'Voltix Smart Camera', 'electronics', 29_999, 'Made for travel.'),
  P('e2', 'Nimbus Portable Projector', 'electronics', 49_999, 'Family movie nights.'),
  P('k1', 'Hearth Cast-Iron Skillet', 'home-kitchen', 3_999, 'Weeknight dinners.'),
  P('b1', 'Inkwell Illustrated Field Guide', 'books', 2_499, 'For curious readers and headphones-free afternoons.'),
];

function seeded(): ProductIndex {
  const index = ProductIndex.empty();
  for (const p of CATALOG) index.upsertProduct(p);
  return index;
}
const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id);
const search = (index: ProductIndex, params: Partial<Parameters<ProductIndex['search']>[0]>) => index.search({ limit: 20, offset: 0, ...params });

test('a prefix matches: "headph" finds the headphones, "skil" the skillet', () => {
  const index = seeded();
  assert.deepEqual(new Set(ids(search(index, { q: 'headph' })).slice(0, 2)), new Set(['a1', 'a2']));
  assert.deepEqual(ids(search(index, { q: 'skil' })), ['k1']);
});

test('a typo still matches: "headphnes" finds headphones, "zephyrine headphnes" ranks Zephyrine first', () => {
  const index = seeded();
  const typo = search(index, { q: 'headphnes' });
  assert.ok(ids(typo).includes('a1') && ids(typo).includes('a2'), `got ${ids(typo).join(',')}`);
  assert.equal(ids(search(index, { q: 'zephyrine headphnes' }))[0], 'a1');
  assert.equal(ids(search(index, { q: 'zefyrine' }))[0], 'a1');
  // Short words are not fuzzy: "cat" must not match "camera" or "cast".
  assert.deepEqual(ids(search(index, { q: 'cat' })), []);
  assert.deepEqual(ids(search(index, { q: 'xyzzy' })), []);
});

test('ranking: a match in the name beats a match in the description; every word beats some', () => {
  const index = seeded();
  const page = search(index, { q: 'headphones' });
  // a1, a2 have it in the name; a4 and b1 only in the description.
  assert.deepEqual(ids(page).slice(0, 2).sort(), ['a1', 'a2']);
  assert.ok(ids(page).includes('b1'));
  assert.ok(page.items[0]!.score >= page.items[1]!.score && page.items[1]!.score > page.items.at(-1)!.score);
  // Words combine with AND: only the product with both.
  assert.deepEqual(ids(search(index, { q: 'wireless headphones' })), ['a2']);
  // When no product has every word, products with any of them come back (OR) rather than nothing.
  assert.deepEqual(ids(search(index, { q: 'skillet unobtainium' })), ['k1']);
});

test('category words and slugs are searchable', () => {
  const index = seeded();
  assert.deepEqual(ids(search(index, { q: 'kitchen' })), ['k1']);
});

test('filters: category, price range (inclusive, minor units) and stock', () => {
  const index = seeded();
  index.setStock('a1', 3);
  index.setStock('a2', 0);
  index.setStock('e1', 10);
  assert.deepEqual(ids(search(index, { category: 'electronics' })).sort(), ['e1', 'e2']);
  assert.deepEqual(ids(search(index, { minPrice: 12_999, maxPrice: 29_999 })).sort(), ['a1', 'a4', 'e1']);
  assert.deepEqual(ids(search(index, { inStock: true })).sort(), ['a1', 'e1']);
  assert.equal(search(index, { inStock: false }).total, CATALOG.length - 2);
  assert.deepEqual(ids(search(index, { q: 'headphones', inStock: true })), ['a1']);
  const hit = search(index, { q: 'zephyrine' }).items[0];
  assert.deepEqual(hit, { id: 'a1', name: 'Zephyrine Studio Headphones', category: 'audio', price: eur(12_999), available: 3, score: hit!.score });
});

test('facets count matches per category, ignoring the category filter but not the others', () => {
  const index = seeded();
  const all = search(index, {});
  assert.deepEqual(all.facets.category, { audio: 4, electronics: 2, 'home-kitchen': 1, books: 1 });
  const narrowed = search(index, { q: 'headphones', category: 'audio' });
  assert.deepEqual(narrowed.facets.category, { audio: 3, books: 1 });
  assert.equal(narrowed.total, 3);
  assert.deepEqual(search(index, { maxPrice: 5_000 }).facets.category, { audio: 1, 'home-kitchen': 1, books: 1 });
});

test('no words: every product, by name, with score 0; filters still apply', () => {
  const index = seeded();
  const page = search(index, {});
  assert.equal(page.total, CATALOG.length);
  assert.deepEqual(page.items.map((i) => i.name), [...CATALOG.map((p) => p.name)].sort((a, b) => a.localeCompare(b, 'en')));
  assert.ok(page.items.every((i) => i.score === 0));
  assert.deepEqual(ids(search(index, { q: '   ', category: 'books' })), ['b1']);
});

test('pages: a cursor walks every match exactly once; a foreign cursor is refused', () => {
  const index = seeded();
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = runSearch((p) => index.search(p), { limit: 3, ...(cursor === undefined ? {} : { cursor }) });
    assert.equal(page.total, CATALOG.length);
    seen.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor ?? undefined;
    pages += 1;
  } while (cursor !== undefined);
  assert.equal(pages, 3);
  assert.deepEqual([...seen].sort(), CATALOG.map((p) => p.id).sort());
  assert.equal(decodeCursor(encodeCursor(40)), 40);
  for (const bad of ['not a cursor', Buffer.from('p:abc').toString('base64url'), '!!']) {
    assert.throws(() => runSearch((p) => index.search(p), { cursor: bad }), { code: 'INVALID_CURSOR', status: 400 });
  }
  assert.throws(() => runSearch((p) => index.search(p), { minPrice: 10, maxPrice: 5 }), { code: 'INVALID_PRICE_RANGE', status: 400 });
});

test('upserts are idempotent: the same product twice, or an update replayed, changes nothing', () => {
  const once = seeded();
  const twice = seeded();
  for (const p of CATALOG) twice.upsertProduct(p);
  twice.upsertProduct({ ...CATALOG[0]!, name: 'Renamed Thing' });
  twice.upsertProduct(CATALOG[0]!);
  assert.equal(twice.productCount, CATALOG.length);
  for (const q of ['headphones', 'zephyrine headphnes', 'made for', '']) {
    assert.deepEqual(search(twice, { q }), search(once, { q }), `query "${q}"`);
  }
});

test('an update replaces the searchable text and the price', () => {
  const index = seeded();
  index.upsertProduct({ ...CATALOG[2]!, name: 'Bassline Boombox', price: eur(5_999) });
  assert.deepEqual(ids(search(index, { q: 'speaker' })), []);
  assert.deepEqual(ids(search(index, { q: 'boombox' })), ['a3']);
  assert.equal(search(index, { q: 'boombox' }).items[0]?.price.amount, 5_999);
  assert.deepEqual(ids(search(index, { minPrice: 5_500, maxPrice: 6_000 })), ['a3']);
  // The name-ordered listing follows the rename.
  assert.equal(search(index, { category: 'audio' }).items[0]?.name, 'Bassline Boombox');
});

test('stock that arrives before its product is kept and shows once the product does', () => {
  const index = ProductIndex.empty();
  index.setStock('late', 7);
  assert.equal(search(index, {}).total, 0);
  index.upsertProduct(P('late', 'Trailhead Ultralight Tent', 'sports-outdoors', 19_999));
  assert.equal(search(index, { q: 'tent' }).items[0]?.available, 7);
  assert.equal(search(index, { inStock: true }).total, 1);
});

test('a category named like an Object.prototype key is counted like any other', () => {
  const index = ProductIndex.empty();
  index.upsertProduct(P('x1', 'Odd One', '__proto__', 100));
  index.upsertProduct(P('x2', 'Odd Two', 'constructor', 100));
  const facets = search(index, {}).facets.category;
  assert.deepEqual(Object.entries(facets).sort(), [['__proto__', 1], ['constructor', 1]]);
});

test('a product inventory has not reported yet counts as 0 available', () => {
  const index = seeded();
  assert.equal(search(index, { q: 'skillet' }).items[0]?.available, 0);
});

test('the state round-trips: a restored index answers exactly as the original', () => {
  const index = seeded();
  index.setStock('a1', 5);
  index.setStock('ghost', 2);
  index.upsertProduct({ ...CATALOG[1]!, name: 'Sonora Wireless Headphones II' });
  const restored = ProductIndex.fromState(JSON.parse(JSON.stringify(index.toState())));
  for (const q of ['headphones', 'zephyrine headphnes', 'sonora', 'made', '']) {
    assert.deepEqual(search(restored, { q }), search(index, { q }), `query "${q}"`);
  }
  assert.equal(restored.available('ghost'), 2);
  // A state whose full-text part does not match its products is refused.
  const broken = index.toState();
  broken.products.push(P('x', 'Not Indexed', 'books', 100));
  assert.throws(() => ProductIndex.fromState(broken), /documents for/);
});

test('an archived product leaves the index (words and browsing), a repeated archive is harmless, and unarchiving brings it back', async () => {
  const { applyEvent } = await import('../src/events.ts');
  const index = seeded();
  const event = (archived: boolean) => ({
    specversion: '1.0' as const, id: `e-${String(archived)}`, source: 'catalog', type: 'catalog.product-updated', time: new Date(0).toISOString(),
    datacontenttype: 'application/json' as const, sequence: 1, data: { ...CATALOG[0]!, archived },
  });
  index.setStock('a1', 7);
  assert.equal(applyEvent(index, event(true)), 'applied');
  assert.equal(applyEvent(index, event(true)), 'applied');
  assert.equal(index.productCount, CATALOG.length - 1);
  assert.ok(!ids(search(index, { q: 'zephyrine' })).includes('a1'));
  assert.ok(!ids(search(index, { category: 'audio' })).includes('a1'));
  // A restored snapshot agrees (the full-text documents match the products).
  assert.equal(ProductIndex.fromState(index.toState()).productCount, CATALOG.length - 1);
  assert.equal(applyEvent(index, event(false)), 'applied');
  assert.deepEqual(ids(search(index, { q: 'zephyrine' })), ['a1']);
  assert.equal(index.available('a1'), 7, 'its stock was kept while archived');
});
