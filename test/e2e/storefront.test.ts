// The storefront in a real browser (Debian's Chromium through playwright-core) against the real system
// started by the launcher: the shopper's journeys with and without JavaScript, the outcomes of a
// checkout, a price change between cart and checkout, the back office (products, stock; orders: mark
// shipped and refund), and axe-core on every page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { portBaseFor, startSystem, until, type RunningSystem } from '../../tools/launcher/src/harness.ts';
import { describeViolations, launchBrowser, seriousViolations } from './browser.ts';
import { http, logIn } from './client.ts';

const work = mkdtempSync(join(tmpdir(), 'bazaar-storefront-'));
let system: RunningSystem | undefined;
let browser: Browser;
let base = '';
let mailSink = '';
let admin = '';
const password = 'correct horse battery staple';
let users = 0;
const checked = new Set<string>();

before(async () => {
  // STOREFRONT_E2E_CONTROL=<launcher URL> runs the suite against a system already started by `npm start` (faster while working on pages).
  const existing = process.env.STOREFRONT_E2E_CONTROL;
  if (existing) {
    const services = ((await (await fetch(`${existing}/api/services`)).json()) as { services: { name: string; url: string }[] }).services;
    base = services.find((s) => s.name === 'gateway')?.url ?? '';
    mailSink = services.find((s) => s.name === 'mail-sink')?.url ?? '';
  } else await startOwnSystem();
  admin = await logIn(base, 'admin@bazaar.local', 'bazaar-admin-password');
  browser = await launchBrowser();
});

async function startOwnSystem(): Promise<void> {
  system = await startSystem({
    portBase: portBaseFor(6),
    dataDir: join(work, 'data'),
    logDir: join(work, 'logs'),
    env: { SAGA_DEADLINE_MS: '15000', INVENTORY_INITIAL_STOCK: '50' },
    readyTimeoutMs: 180_000,
  });
  base = system.gatewayUrl;
  mailSink = (await system.service('mail-sink')).url;
}

after(async () => {
  await browser?.close();
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function newPage(opts: { javaScript?: boolean; width?: number } = {}): Promise<{ context: BrowserContext; page: Page }> {
  // bypassCSP: axe-core is injected as an inline script, which the pages' policy (rightly) forbids.
  const context = await browser.newContext({ javaScriptEnabled: opts.javaScript ?? true, viewport: { width: opts.width ?? 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(45_000);
  return { context, page };
}

/** axe-core on the page as it is now: no serious or critical violation. Each distinct page state once. */
async function accessible(page: Page, label: string): Promise<void> {
  if (checked.has(label)) return;
  checked.add(label);
  const violations = await seriousViolations(page);
  assert.deepEqual(violations, [], describeViolations(label, violations));
}

async function signUp(page: Page, next = '/'): Promise<string> {
  users += 1;
  const email = `shopper${users}-${process.pid}@example.com`;
  await page.goto(`${base}/account/signup?next=${encodeURIComponent(next)}`);
  await accessible(page, 'sign-up');
  await page.getByLabel('Your name').fill(`Shopper ${users}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'signed-up');
  return email;
}

async function fillCheckout(page: Page, card: string): Promise<void> {
  await page.getByLabel('Full name').fill('Sam Shopper');
  await page.getByLabel('Street and number').fill('1 Market Street');
  await page.getByLabel('Town or city').fill('Lyon');
  await page.getByLabel('Postal code').fill('69001');
  await page.getByLabel('Country').selectOption('FR');
  await page.getByLabel('Card number').fill(card);
  await page.getByLabel('Expiry (MM/YY)').fill('12/35');
  await page.getByLabel('Security code').fill('123');
}

/** A product with stock, found through the search API (the product page needs inventory to know it). */
async function productWithStock(offset: number): Promise<{ id: string; name: string }> {
  const res = await http<{ items: { id: string; name: string; available: number }[] }>(`${base}/api/search?inStock=true&limit=50`);
  const item = res.body.items[offset];
  assert.ok(item, 'a product in stock');
  return item;
}

test('shopper journey: browse, search with a typo, product, cart, checkout with 4242, live status, history, email', async () => {
  const { context, page } = await newPage();
  // Right after start-up the search index may still be filling from the catalog's events.
  await until('the home page to show products', 60_000, async () => {
    await page.goto(`${base}/`);
    return (await page.locator('.grid .card').count()) > 0 ? true : undefined;
  });
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Good things, honestly priced.');
  await accessible(page, 'home');

  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: 'Audio' }).click();
  await page.waitForURL(/\/c\/audio$/);
  assert.match((await page.getByRole('heading', { level: 1 }).textContent()) ?? '', /Audio/);
  assert.ok((await page.locator('.grid .card').count()) >= 4);
  await accessible(page, 'category');
  await page.getByRole('link', { name: 'Next page →' }).click();
  await page.waitForURL(/cursor=/);
  assert.ok((await page.locator('.grid .card').count()) >= 1, 'the second page of a category lists products');

  // A typo: "headphnes" still finds headphones, and the matching word is highlighted.
  await page.getByRole('combobox', { name: 'Search products' }).fill('headphnes');
  await page.getByRole('combobox', { name: 'Search products' }).press('Enter');
  await page.waitForURL(/\/search\?q=headphnes/);
  const first = page.locator('.grid .card').first();
  assert.match((await first.textContent()) ?? '', /Headphones/);
  assert.match((await first.locator('mark').first().textContent()) ?? '', /Headphones/);
  assert.ok((await page.getByRole('group', { name: 'Category' }).getByRole('radio').count()) >= 2, 'category facets');
  await accessible(page, 'search');

  await first.getByRole('link').click();
  await page.waitForURL(/\/p\//);
  const productName = (await page.getByRole('heading', { level: 1 }).textContent()) ?? '';
  assert.match(productName, /Headphones/);
  assert.match((await page.locator('.product-info .stock').textContent()) ?? '', /In stock|Only \d+ left/);
  await accessible(page, 'product');

  // Anonymous: adding sends the shopper to sign in (here: sign up) and back to the product.
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.waitForURL(/\/account\/login/);
  await accessible(page, 'sign-in');
  const productUrl = new URL(page.url()).searchParams.get('next') ?? '';
  assert.match(productUrl, /^\/p\//);
  const email = await signUp(page, productUrl);
  assert.match(page.url(), /\/p\//);

  // With JavaScript the form posts in the background and the badge follows.
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await until('the cart badge to show 2', 15_000, async () => ((await page.locator('[data-cart-count]').textContent()) === '2' ? true : undefined));

  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.waitForURL(/\/cart$/);
  assert.equal(await page.locator('.cart-table tbody tr').count(), 1);
  await accessible(page, 'cart');
  // "Remove" is red text on no background: it once drew as a blank red pill (button.danger's background, red on red).
  const remove = await page.getByRole('button', { name: /^Remove/ }).first().evaluate((el) => {
    // (The browser's getComputedStyle: this file is type-checked against Node's globals, which do not have it.)
    const style = (globalThis as unknown as { getComputedStyle(e: unknown): { color: string; backgroundColor: string } }).getComputedStyle(el);
    return { color: style.color, background: style.backgroundColor };
  });
  assert.equal(remove.background, 'rgba(0, 0, 0, 0)', `the Remove button has no background (${JSON.stringify(remove)})`);
  assert.notEqual(remove.color, 'rgba(0, 0, 0, 0)');
  await page.getByRole('link', { name: 'Check out' }).click();
  await page.waitForURL(/\/checkout$/);
  await accessible(page, 'checkout');

  // Field-level messages: an empty form names each field that needs attention.
  await page.getByRole('button', { name: /^Pay / }).click();
  await page.waitForSelector('.field-error');
  assert.match((await page.locator('#postalCode-error').textContent()) ?? '', /postal code/i);
  assert.equal(await page.getByLabel('Full name').getAttribute('aria-invalid'), 'true');
  await accessible(page, 'checkout with errors');

  await fillCheckout(page, '4242 4242 4242 4242');
  await page.getByRole('button', { name: /^Pay / }).click();
  await page.waitForURL(/\/orders\//);
  const orderId = page.url().split('/orders/')[1] ?? '';
  // Live status: the page turns CONFIRMED by itself, without reloading.
  await page.locator('[data-order-status="CONFIRMED"]').waitFor({ timeout: 45_000 });
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Thank you — your order is confirmed');
  assert.match((await page.locator('[data-order-money]').textContent()) ?? '', /charged/);
  await accessible(page, 'order confirmed');

  await page.goto(`${base}/account`);
  await accessible(page, 'account');
  const row = page.locator('.orders-table tbody tr', { has: page.locator(`a[href="/orders/${orderId}"]`) });
  assert.match((await row.textContent()) ?? '', /CONFIRMED/);

  const mail = await until(`the confirmation email to ${email} in the mail sink`, 30_000, async () => {
    const res = await http<{ messages: { subject: string; text: string }[] }>(`${mailSink}/api/messages?to=${encodeURIComponent(email)}`);
    return res.body.messages.find((m) => /confirm/i.test(m.subject));
  });
  assert.ok(mail.subject);

  // The session cookie is httpOnly and SameSite; the page never sees the tokens.
  const cookie = (await context.cookies()).find((c) => c.name === 'bazaar_session');
  assert.ok(cookie?.httpOnly);
  assert.equal(cookie?.sameSite, 'Lax');
  assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie.includes('bazaar_session')), false);
  await context.close();
});

test('a declined card ends on a page that says nothing was charged; insufficient funds likewise', async () => {
  const { context, page } = await newPage();
  await signUp(page);
  for (const [card, heading] of [
    ['4000 0000 0000 0002', 'Payment declined'],
    ['4000 0000 0000 9995', 'Payment declined: insufficient funds'],
  ] as const) {
    const product = await productWithStock(1);
    await page.goto(`${base}/p/${product.id}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await until('the cart badge', 15_000, async () => ((await page.locator('[data-cart-count]').textContent()) !== '0' ? true : undefined));
    await page.goto(`${base}/checkout`);
    await fillCheckout(page, card);
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForURL(/\/orders\//);
    await page.locator('[data-order-status="CANCELLED"]').waitFor({ timeout: 45_000 });
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), heading);
    assert.match((await page.locator('[data-order-money]').textContent()) ?? '', /Nothing was charged/);
    await accessible(page, `order ${heading}`);
    // The cart is kept for another try; empty it for the next card.
    await page.goto(`${base}/cart`);
    await page.getByRole('button', { name: /^Remove/ }).first().click();
    await page.waitForURL(/notice=removed/);
  }
  await context.close();
});

test('without JavaScript: sign up, add to cart, check out and reach the confirmed order by forms alone', async () => {
  const { context, page } = await newPage({ javaScript: false, width: 360 });
  await signUp(page);
  const product = await productWithStock(2);
  await page.goto(`${base}/p/${product.id}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.waitForURL(/\/cart\?notice=added/);
  assert.equal(await page.locator('[data-cart-count]').textContent(), '1');
  await page.getByRole('link', { name: 'Check out' }).click();
  await fillCheckout(page, '4242424242424242');
  // A double submit: the same rendered form posted once behind the page's back, then pressed. One order.
  const form = page.locator('form.checkout-form');
  const fields: Record<string, string> = {};
  for (const name of ['_csrf', 'idempotencyKey', 'fingerprint', 'name', 'line1', 'city', 'postalCode', 'country', 'cardNumber', 'expiry', 'cvc']) {
    fields[name] = await form.locator(`[name="${name}"]`).inputValue();
  }
  const first = await page.request.post(`${base}/checkout`, { form: fields, maxRedirects: 0 });
  assert.equal(first.status(), 303);
  const firstOrder = first.headers().location ?? '';
  assert.match(firstOrder, /^\/orders\//);
  await page.getByRole('button', { name: /^Pay / }).click();
  await page.waitForURL(/\/orders\//);
  assert.equal(new URL(page.url()).pathname, firstOrder, 'the second press lands on the same order');
  // The server waits a few seconds for the saga; if it is still running, one link asks again (no refresh loop).
  await until('the order page to say CONFIRMED', 60_000, async () => {
    const status = await page.locator('[data-order-status]').getAttribute('data-order-status');
    if (status === 'CONFIRMED') return true;
    if (status === 'PENDING') await page.getByRole('link', { name: 'Check the status again' }).click();
    return undefined;
  });
  assert.equal(await page.locator('[data-cart-count]').textContent(), '0');
  await page.goto(`${base}/account`);
  assert.equal(await page.locator('.orders-table tbody tr').count(), 1, 'two presses, one order');
  await context.close();
});

test('a price that changes between cart and checkout is shown before anything is charged', async () => {
  const { context, page } = await newPage();
  await signUp(page);
  const product = await productWithStock(3);
  await page.goto(`${base}/p/${product.id}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await until('the cart badge', 15_000, async () => ((await page.locator('[data-cart-count]').textContent()) === '1' ? true : undefined));
  await page.goto(`${base}/checkout`);
  await fillCheckout(page, '4242 4242 4242 4242');

  // The merchant changes the price while the shopper is on the checkout form (the cart prices from the catalog at read time).
  const before = await http<{ price: { amount: number; currency: string } }>(`${base}/api/catalog/products/${product.id}`);
  const patched = await http(`${base}/api/catalog/products/${product.id}`, { method: 'PATCH', body: { price: { amount: before.body.price.amount + 500, currency: before.body.price.currency } }, token: admin });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));

  // The posted form showed the old price: no order, and the page says what changed.
  await page.getByRole('button', { name: /^Pay / }).click();
  await page.waitForSelector('.alert');
  assert.match(page.url(), /\/checkout$/);
  assert.match((await page.locator('.alert').first().textContent()) ?? '', /Prices changed since you last looked/);
  assert.match((await page.locator('.alert').first().textContent()) ?? '', new RegExp(`${product.name}: was`));
  await accessible(page, 'checkout with a price change');
  const orders = await page.request.get(`${base}/account`);
  assert.doesNotMatch(await orders.text(), /orders-table/, 'no order was placed');
  await context.close();
});

test('forms without a CSRF token are refused', async () => {
  const { context, page } = await newPage();
  await signUp(page);
  const res = await page.request.post(`${base}/cart/items`, { form: { productId: 'x', quantity: '1' }, maxRedirects: 0 });
  assert.equal(res.status(), 403);
  assert.match(await res.text(), /form has expired/);
  await context.close();
});

test('back office: sales, create a product with an image, find it in search and its category, set stock', async () => {
  const { context, page } = await newPage();
  await page.goto(`${base}/account/login?next=/admin`);
  await page.getByLabel('Email').fill('admin@bazaar.local');
  await page.getByLabel('Password').fill('bazaar-admin-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\?notice=signed-in/);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sales');
  await accessible(page, 'admin sales');
  const csv = await page.request.get(`${base}/admin/sales.csv`);
  assert.match(await csv.text(), /^day,orders,revenue_minor_units,currency/);

  await page.goto(`${base}/admin/products`);
  await accessible(page, 'admin products');
  await page.getByRole('link', { name: 'New product' }).click();
  const png = await sharp({ create: { width: 900, height: 700, channels: 3, background: '#ff8800' } }).png().toBuffer();
  const sku = `AAA-${process.pid}`;
  const name = `Aardvark Lantern ${process.pid}`;
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('SKU (e.g. AUD-9001)').fill(sku);
  await page.getByLabel('Price (EUR, e.g. 19.99)').fill('24.50');
  await page.getByLabel('Category').selectOption('garden');
  await page.getByLabel('Description').fill('A solar lantern for balcony gardens.');
  await page.getByLabel('Image (JPEG, PNG or WebP)').setInputFiles({ name: 'lantern.png', mimeType: 'image/png', buffer: png });
  await accessible(page, 'admin new product');
  await page.getByRole('button', { name: 'Create product' }).click();
  await page.waitForURL(/notice=product-created/);
  await accessible(page, 'admin edit product');
  const src = (await page.locator('img.admin-preview').getAttribute('src')) ?? '';
  assert.match(src, /\.webp$/);
  const image = await page.request.get(`${base}${src}`);
  assert.equal(image.headers()['content-type'], 'image/webp');
  assert.match(image.headers()['cache-control'] ?? '', /immutable/);
  const meta = await sharp(await image.body()).metadata();
  assert.equal(meta.format, 'webp');
  assert.ok((meta.width ?? 0) <= 1200);

  await page.getByLabel('Units available').fill('3');
  await page.getByLabel('Reason').fill('restock');
  await page.getByRole('button', { name: 'Adjust stock' }).click();
  await page.waitForURL(/notice=stock-saved/);

  // The search read model learns the product from catalog events: it shows in search and on its category page.
  await until(`${name} in search`, 30_000, async () => {
    await page.goto(`${base}/search?q=${encodeURIComponent('aardvark lantern')}`);
    return (await page.getByText(name).count()) > 0 ? true : undefined;
  });
  await page.goto(`${base}/c/garden`);
  const card = page.locator('.card', { hasText: name });
  assert.equal(await card.count(), 1);
  assert.match((await card.locator('img').getAttribute('src')) ?? '', /\.webp$/);
  await until(`${name} to show "Only 3 left"`, 30_000, async () => {
    await page.goto(`${base}/c/garden`);
    return /Only 3 left/.test((await page.locator('.card', { hasText: name }).textContent()) ?? '') ? true : undefined;
  });

  await page.goto(`${base}/admin/stock`);
  assert.ok((await page.getByRole('link', { name, exact: true }).count()) === 1, 'the new product is in the low-stock list');
  await accessible(page, 'admin stock');
  await context.close();
});

/** A browser page signed in as the seeded admin, on `next`. */
async function adminPage(next: string): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await newPage();
  await opened.page.goto(`${base}/account/login?next=${encodeURIComponent(next)}`);
  await opened.page.getByLabel('Email').fill('admin@bazaar.local');
  await opened.page.getByLabel('Password').fill('bazaar-admin-password');
  await opened.page.getByRole('button', { name: 'Sign in' }).click();
  await opened.page.waitForURL((url) => url.searchParams.get('notice') === 'signed-in');
  return opened;
}

test('back office: adjust stock with a reason, archive a product (gone from its category and search, still open by id), find a customer', async () => {
  // A product of our own, named to sort first on its category page (category pages list by name).
  const name = `Aardwolf Planter ${process.pid}`;
  const created = await http<{ id: string }>(`${base}/api/catalog/products`, {
    method: 'POST', token: admin, body: { sku: `AAB-${process.pid}`, name, description: 'A planter for shady corners.', category: 'garden', price: { amount: 1999, currency: 'EUR' } },
  });
  assert.equal(created.status, 201);
  const id = created.body.id;
  const { context, page } = await adminPage(`/admin/products/${id}`);

  await page.getByLabel('Units available').fill('4');
  await page.getByLabel('Reason').fill('count correction');
  await page.getByRole('button', { name: 'Adjust stock' }).click();
  await page.waitForURL(/notice=stock-saved/);
  const history = page.locator('table', { has: page.getByText('count correction') });
  assert.equal(await history.count(), 1, 'the history shows the adjustment with its reason');
  assert.match((await history.textContent()) ?? '', /admin@bazaar\.local/);
  await accessible(page, 'admin product with stock history');
  await page.goto(`${base}/p/${id}`);
  assert.match((await page.locator('.stock').textContent()) ?? '', /Only 4 left/);

  await until(`${name} on its category page and in search`, 30_000, async () => {
    await page.goto(`${base}/c/garden`);
    return (await page.locator('.card', { hasText: name }).count()) === 1 ? true : undefined;
  });
  await page.goto(`${base}/admin/products/${id}`);
  await page.getByRole('button', { name: 'Archive' }).click();
  await page.waitForURL(/notice=product-archived/);
  assert.equal(await page.getByRole('button', { name: 'Unarchive' }).count(), 1);
  await accessible(page, 'admin archived product');
  await until(`${name} to leave its category page and search`, 30_000, async () => {
    await page.goto(`${base}/c/garden`);
    if ((await page.locator('.card', { hasText: name }).count()) > 0) return undefined;
    await page.goto(`${base}/search?q=${encodeURIComponent('aardwolf planter')}`);
    return (await page.getByText(name).count()) === 0 ? true : undefined;
  });
  await page.goto(`${base}/p/${id}`);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), name, 'still opens by id (past orders link to it)');
  assert.match((await page.locator('.stock').textContent()) ?? '', /No longer sold/);
  assert.equal(await page.getByRole('button', { name: 'Add to cart' }).count(), 0);
  await accessible(page, 'archived product');
  await page.goto(`${base}/admin/products/archived`);
  assert.equal(await page.getByRole('link', { name, exact: true }).count(), 1, 'the back office lists it with the archived products');
  await accessible(page, 'admin archived products');

  // A shopper who signed up shows in the customer search, and their page links to their orders.
  const shopper = await newPage();
  const email = await signUp(shopper.page);
  await shopper.context.close();
  await page.goto(`${base}/admin/customers`);
  await accessible(page, 'admin customers');
  await page.getByLabel('Find a customer').fill(email.toUpperCase());
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/admin\/customers\?q=/);
  const rows = page.locator('tbody tr');
  assert.equal(await rows.count(), 1);
  await rows.getByRole('link').click();
  await page.waitForURL(/\/admin\/customers\/[^/?]+$/);
  await accessible(page, 'admin customer');
  assert.match((await page.getByRole('link', { name: /^Orders of/ }).getAttribute('href')) ?? '', /^\/admin\/orders\?customer=/);
  await context.close();
});

test('order history pages: "Older orders" leads to the orders after the first ten', async () => {
  const { context, page } = await newPage();
  const email = await signUp(page);
  const token = await logIn(base, email, password);
  const product = await productWithStock(3);
  assert.equal((await http(`${base}/api/cart/items/${product.id}`, { method: 'PUT', token, body: { quantity: 1 } })).status, 200);
  // Eleven declined checkouts: quick, nothing charged, and each one an order in the history.
  const card = { number: '4000000000000002', expMonth: 12, expYear: 2035, cvc: '123' };
  const shippingAddress = { name: 'Sam Shopper', line1: '1 Market Street', city: 'Lyon', postalCode: '69001', country: 'FR' };
  for (let i = 0; i < 11; i++) {
    const version = (await http(`${base}/api/cart`, { token })).etag ?? '';
    const res = await http(`${base}/api/checkout`, { method: 'POST', token, headers: { 'idempotency-key': `history-${process.pid}-${i}`, 'if-match': version }, body: { shippingAddress, card } });
    assert.ok(res.status === 201 || res.status === 202, `checkout ${i}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  await page.goto(`${base}/account`);
  assert.equal(await page.locator('tbody tr').count(), 10);
  await accessible(page, 'account history');
  await page.getByRole('link', { name: /Older orders/ }).click();
  await page.waitForURL(/\/account\?cursor=/);
  assert.equal(await page.locator('tbody tr').count(), 1, 'the eleventh, oldest order');
  assert.equal(await page.getByRole('link', { name: /Older orders/ }).count(), 0);
  assert.equal(await page.getByRole('link', { name: /Newest orders/ }).count(), 1);
  await accessible(page, 'account history, older');
  await context.close();
});

test('the client bundle stays under 50 KB gzipped and assets are cached for a year', async () => {
  const html = await (await fetch(`${base}/`)).text();
  const urls = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
  assert.ok(urls.length >= 2);
  let total = 0;
  for (const url of urls) {
    const res = await fetch(`${base}${url}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.match(res.headers.get('cache-control') ?? '', /max-age=31536000, immutable/);
    total += Number(res.headers.get('content-length') ?? (await res.arrayBuffer()).byteLength);
  }
  assert.ok(total < 50_000, `client assets are ${total} bytes gzipped`);
});

describe('back office: orders — mark shipped, then refund', () => {
  /** psp-sim's URL: from our own system, or from the launcher named by STOREFRONT_E2E_CONTROL. */
  async function pspSimUrl(): Promise<string> {
    if (system) return (await system.service('psp-sim')).url;
    const services = ((await (await fetch(`${process.env.STOREFRONT_E2E_CONTROL}/api/services`)).json()) as { services: { name: string; url: string }[] }).services;
    return services.find((s) => s.name === 'psp-sim')?.url ?? '';
  }

  async function mailTo(email: string, subject: RegExp, what: string): Promise<{ subject: string; text: string }> {
    return until(`${what} to ${email} in the mail sink`, 30_000, async () => {
      const res = await http<{ messages: { subject: string; text: string }[] }>(`${mailSink}/api/messages?to=${encodeURIComponent(email)}`);
      return res.body.messages.find((m) => subject.test(m.subject));
    });
  }

  const available = async (productId: string) => (await http<{ available: number }>(`${base}/api/inventory/${productId}`)).body.available;

  test('an admin marks an order shipped (the customer sees the tracking and gets an email), then refunds it (the PSP shows it refunded, stock comes back, an email goes out)', async () => {
    // The shopper orders one unit with 4242.
    const shopper = await newPage();
    const email = await signUp(shopper.page);
    const product = await productWithStock(4);
    const stockBefore = await available(product.id);
    await shopper.page.goto(`${base}/p/${product.id}`);
    await shopper.page.getByRole('button', { name: 'Add to cart' }).click();
    await until('the cart badge', 15_000, async () => ((await shopper.page.locator('[data-cart-count]').textContent()) === '1' ? true : undefined));
    await shopper.page.goto(`${base}/checkout`);
    await fillCheckout(shopper.page, '4242 4242 4242 4242');
    await shopper.page.getByRole('button', { name: /^Pay / }).click();
    await shopper.page.waitForURL(/\/orders\//);
    const orderId = shopper.page.url().split('/orders/')[1] ?? '';
    await shopper.page.locator('[data-order-status="CONFIRMED"]').waitFor({ timeout: 45_000 });

    // The admin finds it in the list (filtered to confirmed orders) and opens it.
    const office = await newPage();
    await office.page.goto(`${base}/account/login?next=/admin/orders`);
    await office.page.getByLabel('Email').fill('admin@bazaar.local');
    await office.page.getByLabel('Password').fill('bazaar-admin-password');
    await office.page.getByRole('button', { name: 'Sign in' }).click();
    await office.page.waitForURL(/\/admin\/orders/);
    assert.equal(await office.page.getByRole('heading', { level: 1 }).textContent(), 'Orders');
    await office.page.getByLabel('Status').selectOption('CONFIRMED');
    await office.page.getByRole('button', { name: 'Filter' }).click();
    await office.page.waitForURL(/status=CONFIRMED/);
    await accessible(office.page, 'admin orders');
    await office.page.locator(`tr[data-order-id="${orderId}"] a`).click();
    await office.page.waitForURL(new RegExp(`/admin/orders/${orderId}$`));
    assert.match((await office.page.locator('[data-admin-order]').textContent()) ?? '', new RegExp(email.replace(/[.+]/g, '\\$&')));
    await accessible(office.page, 'admin order');

    // A tracking number the form refuses is said beside the field; then the real one.
    await office.page.getByLabel('Carrier').fill('La Poste');
    await office.page.getByLabel('Tracking number').fill('<nope>');
    await office.page.getByRole('button', { name: 'Mark shipped' }).click();
    await office.page.waitForSelector('#trackingNumber-error');
    await accessible(office.page, 'admin order ship error');
    const tracking = `LP ${process.pid}-FR`;
    await office.page.getByLabel('Tracking number').fill(tracking);
    await office.page.getByRole('button', { name: 'Mark shipped' }).click();
    await office.page.waitForURL(/notice=order-shipped/);
    assert.match((await office.page.locator('[data-shipment]').textContent()) ?? '', new RegExp(`Shipped with La Poste, tracking ${tracking}`));
    await accessible(office.page, 'admin order shipped');

    // The customer sees the tracking on their order page and gets an email naming it.
    await shopper.page.goto(`${base}/orders/${orderId}`);
    assert.match((await shopper.page.locator('[data-order-shipment]').textContent()) ?? '', new RegExp(`Shipped with La Poste, tracking ${tracking}`));
    assert.equal(await shopper.page.getByRole('heading', { level: 1 }).textContent(), 'Your order is on its way');
    await accessible(shopper.page, 'order shipped');
    const shippedMail = await mailTo(email, /has shipped/, 'the shipping email');
    assert.match(shippedMail.text, new RegExp(`tracking number: ${tracking}`));

    // The refund: refused without the confirmation, then done with restock.
    await office.page.getByRole('button', { name: /^Refund / }).click();
    await office.page.waitForSelector('#confirm-error');
    await office.page.getByLabel(/I confirm: refund/).check();
    await office.page.getByLabel('Reason (optional, shown to the customer)').fill('Arrived damaged');
    await office.page.getByRole('button', { name: /^Refund / }).click();
    await office.page.waitForURL(/notice=order-refunded/);
    assert.match((await office.page.locator('[data-refund]').textContent()) ?? '', /Refunded .* items back in stock — Arrived damaged/);
    assert.match((await office.page.locator('[data-admin-order]').textContent()) ?? '', /REFUNDED/);
    await accessible(office.page, 'admin order refunded');

    // The card network holds the authorization as refunded; the money email goes out; the unit is back on hand.
    const psp = await pspSimUrl();
    const auth = await http<{ items: { status: string }[] }>(`${psp}/admin/authorizations?idempotencyKey=${orderId}`);
    assert.deepEqual(auth.body.items.map((a) => a.status), ['refunded']);
    const refundMail = await mailTo(email, /was refunded/, 'the refund email');
    assert.match(refundMail.text, /goes back to the card you paid with/);
    assert.match(refundMail.text, /Reason: Arrived damaged/);
    await until(`${product.id} back at ${stockBefore} units`, 30_000, async () => ((await available(product.id)) === stockBefore ? true : undefined));
    // The admin's order page lists the emails notifications sent about the order, oldest first.
    const kinds = await until('the order page to list the three emails sent', 30_000, async () => {
      await office.page.goto(`${base}/admin/orders/${orderId}`);
      const listed = await office.page.locator('[data-email-kind]').evaluateAll((rows) => rows.map((r) => (r as unknown as { getAttribute(n: string): string }).getAttribute('data-email-kind')));
      return listed.length === 3 ? listed : undefined;
    });
    assert.deepEqual(kinds, ['order-confirmed', 'order-shipped', 'order-refunded']);
    await accessible(office.page, 'admin order with its emails');
    await shopper.page.goto(`${base}/orders/${orderId}`);
    assert.match((await shopper.page.locator('[data-order-refund]').textContent()) ?? '', /^Refunded/);
    await accessible(shopper.page, 'order refunded');
    await shopper.context.close();
    await office.context.close();
  });
});
