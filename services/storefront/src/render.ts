/**
 * Pages: Eta templates in src/views, rendered on the server. Every page gets
 * the layout's data (who is signed in, the cart badge, the CSRF token for
 * its forms, the category menu, fingerprinted asset URLs) and helpers; the
 * page's own data is typed by the route that renders it.
 */
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock, Logger } from '@bazaar/kit';
import type { Assets } from './assets.ts';
import { formatMoney } from './domain/money.ts';
import { highlight } from './domain/highlight.ts';
import type { ProductImage } from './domain/model.ts';
import { overTls } from './session.ts';
import type { Cart, Category, ShopApi } from './upstream/shop.ts';
import { callerOf } from './session.ts';
import { refreshing } from './refreshing.ts';

const VIEWS = fileURLToPath(new URL('./views', import.meta.url));
/** How long the category menu is kept before it is refreshed in the background. */
const CATEGORY_TTL_MS = 30_000;

/** Dates and times as pages show them ("2 Jan 2026, 10:00 UTC"): one formatter, not one per call (`toLocaleString` with
 * options builds a new one each time, ~50 µs; an order list shows dozens). */
const DATE_TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** Helpers every template can call as `it.h.…`. */
export const helpers = {
  money: formatMoney,
  highlight,
  date: (iso: string) => `${DATE_TIME.format(new Date(iso))} UTC`,
  shortId: (id: string) => id.slice(0, 8).toUpperCase(),
  /** The picture of a product: its uploaded image, else its generated artwork. */
  image: (productId: string, image: ProductImage | undefined, category?: string) =>
    image
      ? `/images/products/${encodeURIComponent(productId)}/${image.digest}.webp`
      : `/images/products/${encodeURIComponent(productId)}.svg${category ? `?c=${encodeURIComponent(category)}` : ''}`,
  plural: (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`,
};

/** What the layout needs; pages add their own fields. */
export interface LayoutData {
  title: string;
  section: 'shop' | 'admin';
  user: { name: string; email: string; isAdmin: boolean } | undefined;
  cartCount: number;
  csrf: string;
  query: string;
  categories: Category[];
  notice: string | undefined;
  asset: (name: string) => string;
  h: typeof helpers;
}

/** Notices a redirect can ask the next page to show (?notice=…), so no message text travels in URLs. */
const NOTICES: Record<string, string> = {
  added: 'Added to your cart.',
  updated: 'Your cart was updated.',
  removed: 'The item was removed from your cart.',
  'signed-in': 'Welcome back! You are signed in.',
  'signed-up': 'Your account is ready and you are signed in.',
  'signed-out': 'You are signed out.',
  'product-saved': 'The product was saved.',
  'product-created': 'The product was created.',
  'stock-saved': 'The stock level was saved.',
  'product-archived': 'The product was archived: it is hidden from the shop and search, and past orders still show it.',
  'product-unarchived': 'The product is back on sale.',
  'not-sold': 'This product is no longer sold, so it cannot be added to a cart.',
  'order-shipped': 'The order is marked shipped; the customer gets an email with the tracking number.',
  'order-refunded': 'The order was refunded in full; the customer gets an email.',
};

export interface Pages {
  /** Render a page with the layout, the status (default 200) and no caching of personal pages. */
  render<T extends object>(request: FastifyRequest, reply: FastifyReply, view: string, data: T & { title: string; status?: number; section?: 'shop' | 'admin' }): Promise<FastifyReply>;
  /** The layout data alone (error pages); `shownCart`, when the page holds the shopper's cart already, gives the badge. */
  layout(request: FastifyRequest, reply: FastifyReply, title: string, shownCart?: Cart): Promise<LayoutData>;
  /** The categories, kept 30 s and refreshed in the background (they change rarely and every page shows them); none when the catalog cannot be asked and none were loaded yet. */
  categories(): Promise<Category[]>;
  /** The same, but rejects when the catalog cannot be asked and none were loaded yet (for what must not be kept empty). */
  loadCategories(): Promise<Category[]>;
  eta: Eta;
}

export function createPages(deps: { api: ShopApi; assets: Assets; logger: Logger; clock?: Clock }): Pages {
  const eta = new Eta({ views: VIEWS, cache: true, autoEscape: true, autoTrim: false });
  const menu = refreshing(
    async () => {
      try {
        return await deps.api.categories();
      } catch (error) {
        deps.logger.warn({ err: error }, 'category menu unavailable');
        throw error;
      }
    },
    { ttlMs: CATEGORY_TTL_MS, ...(deps.clock ? { clock: deps.clock } : {}) },
  );

  // The menu is decoration: a page still renders when the catalog is down (with the menu of before, or none).
  const categoryMenu = (): Promise<Category[]> => menu().catch(() => []);

  const itemsIn = (cart: Cart): number => cart.items.reduce((n, i) => n + i.quantity, 0);

  async function cartCount(request: FastifyRequest): Promise<number> {
    if (!request.session) return 0;
    try {
      return itemsIn(await deps.api.cart(callerOf(request)));
    } catch {
      return 0;
    }
  }

  async function layout(request: FastifyRequest, reply: FastifyReply, title: string, shownCart?: Cart): Promise<LayoutData> {
    const [menu, count] = await Promise.all([categoryMenu(), shownCart ? itemsIn(shownCart) : cartCount(request)]);
    const session = request.session;
    const q = (request.query as Record<string, unknown> | undefined)?.q;
    const notice = (request.query as Record<string, unknown> | undefined)?.notice;
    return {
      title,
      section: 'shop',
      user: session ? { name: session.name, email: session.email, isAdmin: session.roles.includes('admin') } : undefined,
      cartCount: count,
      csrf: reply.generateCsrf({ path: '/', httpOnly: true, sameSite: 'lax', secure: overTls(request) }),
      query: typeof q === 'string' ? q : '',
      categories: menu,
      notice: typeof notice === 'string' ? NOTICES[notice] : undefined,
      asset: (name) => deps.assets.url(name),
      h: helpers,
    };
  }

  return {
    eta,
    layout,
    categories: categoryMenu,
    loadCategories: menu,
    async render(request, reply, view, data) {
      // A page that shows the cart (the cart page, the checkout form) already holds it: the badge counts that cart
      // rather than asking the cart service a second time.
      const base = await layout(request, reply, data.title, (data as { cart?: Cart }).cart);
      const html = eta.render(view, { ...base, ...data });
      reply.code(data.status ?? 200).type('text/html; charset=utf-8');
      // Pages carry a CSRF token and often personal data: never stored by shared caches.
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'private, no-cache');
      return reply.send(html);
    },
  };
}
