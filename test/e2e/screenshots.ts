/**
 * `npm run screenshots`: desktop (1280 px) and phone (360 px) pictures of the
 * storefront and the back office, written to docs/screenshots/. Starts its
 * own system with the launcher harness (or uses a running one:
 * STOREFRONT_E2E_CONTROL=http://127.0.0.1:8070), places a real order, then
 * visits each page.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { portBaseFor, startSystem, type RunningSystem } from '../../tools/launcher/src/harness.ts';
import { launchBrowser } from './browser.ts';

const out = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'bazaar-screenshots-'));
const WIDTHS = { desktop: 1280, phone: 360 } as const;

let system: RunningSystem | undefined;
let browser: Browser | undefined;
try {
  let base: string;
  const control = process.env.STOREFRONT_E2E_CONTROL;
  if (control) {
    const services = ((await (await fetch(`${control}/api/services`)).json()) as { services: { name: string; url: string }[] }).services;
    base = services.find((s) => s.name === 'gateway')?.url ?? '';
  } else {
    process.stdout.write('starting the system…\n');
    system = await startSystem({ portBase: portBaseFor(7), dataDir: join(work, 'data'), logDir: join(work, 'logs'), readyTimeoutMs: 180_000 });
    base = system.gatewayUrl;
  }
  mkdirSync(out, { recursive: true });
  browser = await launchBrowser();

  const shot = async (page: Page, name: string) => {
    for (const [size, width] of Object.entries(WIDTHS)) {
      await page.setViewportSize({ width, height: size === 'phone' ? 780 : 900 });
      await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
      const file = join(out, `${name}-${size}.png`);
      await page.screenshot({ path: file, fullPage: size === 'desktop' ? false : false });
      process.stdout.write(`wrote ${file}\n`);
    }
  };

  const shopper = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const email = `screenshots-${Date.now()}@example.com`;
  await shopper.goto(`${base}/account/signup`);
  await shopper.getByLabel('Your name').fill('Ada Lovelace');
  await shopper.getByLabel('Email').fill(email);
  await shopper.getByLabel(/^Password/).fill('correct horse battery staple');
  await shopper.getByRole('button', { name: 'Create account' }).click();
  await shopper.waitForURL(/notice=signed-up/);

  await shopper.goto(`${base}/`);
  await shot(shopper, 'home');
  await shopper.goto(`${base}/search?q=headphnes`);
  await shot(shopper, 'search');
  const links = await shopper.locator('.grid .card a').evaluateAll((as) => as.slice(0, 2).map((a) => (a as unknown as { getAttribute(n: string): string }).getAttribute('href')));
  for (const [i, href] of links.entries()) {
    await shopper.goto(`${base}${href}`);
    if (i === 0) await shot(shopper, 'product');
    await shopper.getByRole('button', { name: 'Add to cart' }).click();
    await shopper.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-cart-count]')?.textContent !== '0');
  }
  await shopper.goto(`${base}/cart`);
  await shot(shopper, 'cart');
  await shopper.goto(`${base}/checkout`);
  await shopper.getByLabel('Full name').fill('Ada Lovelace');
  await shopper.getByLabel('Street and number').fill('12 St James’s Square');
  await shopper.getByLabel('Town or city').fill('London');
  await shopper.getByLabel('Postal code').fill('SW1Y 4JH');
  await shopper.getByLabel('Country').selectOption('GB');
  await shopper.getByLabel('Card number').fill('4242 4242 4242 4242');
  await shopper.getByLabel('Expiry (MM/YY)').fill('12/35');
  await shopper.getByLabel('Security code').fill('123');
  await shot(shopper, 'checkout');
  await shopper.getByRole('button', { name: /^Pay / }).click();
  await shopper.waitForURL(/\/orders\//);
  await shopper.locator('[data-order-status="CONFIRMED"], [data-order-status="CANCELLED"]').waitFor({ timeout: 60_000 });
  await shot(shopper, 'order');
  await shopper.goto(`${base}/account`);
  await shot(shopper, 'account');

  const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await admin.goto(`${base}/account/login?next=/admin`);
  await admin.getByLabel('Email').fill('admin@bazaar.local');
  await admin.getByLabel('Password').fill(process.env.ADMIN_PASSWORD ?? 'bazaar-admin-password');
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.waitForURL(/\/admin/);
  await admin.goto(`${base}/admin`);
  await shot(admin, 'admin-sales');
  await admin.goto(`${base}/admin/products`);
  await shot(admin, 'admin-products');
  await admin.locator('.admin-table tbody a').first().click();
  await admin.waitForURL(/\/admin\/products\//);
  await shot(admin, 'admin-product');
  await admin.goto(`${base}/admin/stock`);
  await shot(admin, 'admin-stock');
  await admin.goto(`${base}/admin/orders`);
  await shot(admin, 'admin-orders');
  await admin.locator('.admin-table tbody a').first().click();
  await admin.waitForURL(/\/admin\/orders\//);
  await shot(admin, 'admin-order');
  await admin.goto(`${base}/admin/customers`);
  await shot(admin, 'admin-customers');
  await admin.goto(`${base}/admin/customers?q=${encodeURIComponent('Ada')}`);
  await admin.locator('.admin-table tbody a').first().click();
  await admin.waitForURL(/\/admin\/customers\//);
  await shot(admin, 'admin-customer');
} finally {
  await browser?.close();
  await system?.stop();
  rmSync(work, { recursive: true, force: true });
}
