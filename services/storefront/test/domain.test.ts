// The storefront's pure rules: the checkout form, what an outcome means for the money, highlighting,
// the price-changed notice, artwork, charts and CSV, and waiting for a pending order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkoutValues, validateCheckout } from '../src/domain/checkout-form.ts';
import { outcomeOf } from '../src/domain/outcome.ts';
import { highlight, wordMatches } from '../src/domain/highlight.ts';
import { cartFingerprint, priceChanges, pricesOf } from '../src/domain/prices.ts';
import { productArtwork } from '../src/domain/artwork.ts';
import { barChart, csvField, hbar } from '../src/domain/chart.ts';
import { formatMoney, parseMinorUnits } from '../src/domain/money.ts';
import { helpers } from '../src/render.ts';
import { waitWhilePending } from '../src/domain/order-wait.ts';

const NOW = new Date('2026-12-05T00:00:00Z');
const good = { name: 'Sam Shopper', line1: '1 Market Street', city: 'Lyon', postalCode: '69001', country: 'FR', cardNumber: '4242 4242 4242 4242', expiry: '12/30', cvc: '123' };

test('a complete checkout form becomes the orders request: card digits only, expiry split, postal code upper-cased', () => {
  const result = validateCheckout(checkoutValues({ ...good, postalCode: 'sw1y 4jh', ignored: 'x' }), NOW);
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.deepEqual(result.request, {
    shippingAddress: { name: 'Sam Shopper', line1: '1 Market Street', city: 'Lyon', postalCode: 'SW1Y 4JH', country: 'FR' },
    card: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' },
  });
});

test('every wrong field gets its own message', () => {
  const result = validateCheckout(checkoutValues({ country: 'XX', cardNumber: '4242 4242 4242 4241', expiry: '11/26', cvc: '12' }), NOW);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(Object.keys(result.errors).sort(), ['city', 'country', 'cardNumber', 'cvc', 'expiry', 'line1', 'name', 'postalCode'].sort());
  assert.match(result.errors.cardNumber ?? '', /typo/);
  assert.match(result.errors.expiry ?? '', /expired/);
  const month = validateCheckout(checkoutValues({ ...good, expiry: '13/30' }), NOW);
  assert.equal(!month.ok && month.errors.expiry, 'The month must be 01 to 12.');
  const thisMonth = validateCheckout(checkoutValues({ ...good, expiry: '12/2026' }), NOW);
  assert.equal(thisMonth.ok, true, 'a card is valid through its expiry month');
});

test('each cancellation reason of the saga says what happens to the money', () => {
  // The reason texts of services/orders/src/domain/saga.ts.
  const cases: [string, string, RegExp][] = [
    ['payment declined: card_declined', 'declined', /Nothing was charged/],
    ['payment declined: insufficient_funds', 'insufficient-funds', /Nothing was charged/],
    ['payment declined: expired_card', 'declined', /Nothing was charged/],
    ['insufficient stock: Trail Tent', 'out-of-stock', /not charged/],
    ['payment could not be completed in time', 'timed-out', /released; nothing was charged/],
    ['the reserved stock was released before the order could be completed; the payment was refunded', 'timed-out', /refunded in full/],
    ['payment details were lost in a restart; please check out again', 'cancelled', /Nothing was charged/],
  ];
  for (const [reason, kind, money] of cases) {
    const outcome = outcomeOf({ status: 'CANCELLED', reason });
    assert.equal(outcome.kind, kind, reason);
    assert.match(outcome.money, money, reason);
  }
  assert.equal(outcomeOf({ status: 'CONFIRMED' }).kind, 'confirmed');
  assert.equal(outcomeOf({ status: 'PENDING' }).kind, 'pending');
});

test('highlighting marks words a typo or a prefix away, like the search service matches them', () => {
  assert.deepEqual(highlight('Auralis Compact Headphones', 'headphnes'), [
    { text: 'Auralis Compact ', hit: false },
    { text: 'Headphones', hit: true },
  ]);
  assert.deepEqual(highlight('Trail Tent', 'ten'), [
    { text: 'Trail ', hit: false },
    { text: 'Tent', hit: true },
  ]);
  assert.equal(wordMatches('Speaker', 'xyz'), false);
  assert.equal(wordMatches('Kettle', 'ketle'), true);
  assert.deepEqual(highlight('Cast-Iron Skillet', ''), [{ text: 'Cast-Iron Skillet', hit: false }]);
});

test('the price-changed notice lists the lines whose unit price moved since they were shown', () => {
  const items = [
    { productId: 'a', name: 'Lamp', quantity: 1, unitPrice: { amount: 1500, currency: 'EUR' } },
    { productId: 'b', name: 'Tent', quantity: 2, unitPrice: { amount: 9000, currency: 'EUR' } },
  ];
  assert.deepEqual(priceChanges({ a: 1500, b: 8500 }, items), [{ productId: 'b', name: 'Tent', was: { amount: 8500, currency: 'EUR' }, now: { amount: 9000, currency: 'EUR' } }]);
  assert.deepEqual(priceChanges({}, items), [], 'nothing seen yet: nothing to compare');
  assert.deepEqual(pricesOf(items), { a: 1500, b: 9000 });
  assert.equal(cartFingerprint(items), cartFingerprint([...items].reverse()));
  assert.notEqual(cartFingerprint(items), cartFingerprint([{ ...items[0]!, quantity: 2 }, items[1]!]));
});

test('artwork is the same for the same product and differs between products', () => {
  const a = productArtwork({ id: 'p-1', category: 'audio' });
  assert.equal(a, productArtwork({ id: 'p-1', category: 'audio' }));
  assert.notEqual(a, productArtwork({ id: 'p-2', category: 'audio' }));
  assert.match(a, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(productArtwork({ id: 'p-1', category: 'unknown-category' }), /<circle cx="50" cy="50" r="30"\/>/);
});

test('charts escape their labels; CSV fields are quoted and defused for spreadsheets', () => {
  const svg = barChart([{ label: '<b>', value: 3, text: '€3' }]);
  assert.match(svg, /&#60;b&#62;/);
  assert.doesNotMatch(svg, /<b>/);
  assert.match(hbar(5, 10), /width="50"/);
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('=SUM(A1)'), "'=SUM(A1)");
  assert.equal(csvField(-5), '-5');
});

test('money is formatted from minor units and parsed back without floats', () => {
  assert.equal(formatMoney({ amount: 1999, currency: 'EUR' }), '€19.99');
  // Each currency by its own minor unit, the second time as the first (the formatter is kept per currency).
  for (let i = 0; i < 2; i++) {
    assert.equal(formatMoney({ amount: 1999, currency: 'JPY' }), 'JP¥1,999');
    assert.equal(formatMoney({ amount: 1999, currency: 'KWD' }), 'KWD\u00a01.999');
    assert.equal(formatMoney({ amount: 123456789, currency: 'EUR' }), '€1,234,567.89');
    assert.equal(formatMoney({ amount: 5, currency: 'USD' }), 'US$0.05');
  }
  assert.equal(parseMinorUnits('19.99'), 1999);
  assert.equal(parseMinorUnits('19,5'), 1950);
  assert.equal(parseMinorUnits('19'), 1900);
  assert.equal(parseMinorUnits('1e3'), undefined);
  assert.equal(parseMinorUnits('-1'), undefined);
});

test('waiting for a pending order stops when it is final, or at the deadline with the last state', async () => {
  let clock = 0;
  const states = ['PENDING', 'PENDING', 'CONFIRMED'];
  let reads = 0;
  const done = await waitWhilePending({ fetch: async () => ({ status: states[Math.min(reads++, 2)] as string }), waitMs: 5000, now: () => clock, sleep: async (ms) => void (clock += ms) });
  assert.equal(done.status, 'CONFIRMED');
  assert.equal(reads, 3);

  clock = 0;
  reads = 0;
  const stuck = await waitWhilePending({ fetch: async () => (reads++, { status: 'PENDING' }), waitMs: 1000, intervalMs: 250, now: () => clock, sleep: async (ms) => void (clock += ms) });
  assert.equal(stuck.status, 'PENDING');
  assert.equal(reads, 5, 'one read at once, then one every 250 ms for 1 s');
});

test('dates are shown in UTC, day month year and time', () => {
  assert.equal(helpers.date('2026-01-02T10:00:00.000Z'), '2 Jan 2026, 10:00 UTC');
  assert.equal(helpers.date('2026-12-31T23:59:59.999+02:00'), '31 Dec 2026, 21:59 UTC');
});
