/** The cart page and its forms (add, change quantity, remove). Each form works without JavaScript; the script posts the same forms and asks for JSON. */
import type { ServiceApp } from '@bazaar/kit';
import type { ProductImageRepository } from '../domain/model.ts';
import { priceChanges, pricesOf } from '../domain/prices.ts';
import type { Pages } from '../render.ts';
import { callerOf, type Sessions } from '../session.ts';
import { upstreamFailure, type Cart, type ShopApi } from '../upstream/shop.ts';
import { form, seeOther, toLogin, wantsJson } from './support.ts';

export interface CartDeps {
  api: ShopApi;
  pages: Pages;
  sessions: Sessions;
  images: ProductImageRepository;
}

const count = (cart: Cart) => cart.items.reduce((n, i) => n + i.quantity, 0);

function quantityOf(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 100 ? n : fallback;
}

export function cartRoutes(deps: CartDeps) {
  const { api, pages, sessions } = deps;
  return async (app: ServiceApp) => {
    app.get('/cart', { schema: { hide: true } }, async (request, reply) => {
      const session = request.session;
      if (!session) return pages.render(request, reply, 'cart', { title: 'Your cart', cart: { items: [], total: { amount: 0, currency: 'EUR' } }, changes: [], images: new Map() });
      const cart = await api.cart(callerOf(request));
      const changes = priceChanges(session.seenPrices, cart.items);
      // From now on the shopper has seen these prices.
      await sessions.rememberPrices(session, pricesOf(cart.items));
      return pages.render(request, reply, 'cart', { title: 'Your cart', cart, changes, images: await deps.images.findMany(cart.items.map((i) => i.productId)) });
    });

    app.get('/cart/summary', { schema: { hide: true } }, async (request, reply) => {
      reply.header('cache-control', 'private, no-store');
      if (!request.session) return { count: 0 };
      return { count: count(await api.cart(callerOf(request))) };
    });

    app.post('/cart/items', { schema: { hide: true } }, async (request, reply) => {
      const body = form(request);
      const productId = (body.productId ?? '').slice(0, 100);
      const session = request.session;
      if (!session) {
        if (wantsJson(request)) return reply.code(401).send({ signIn: `/account/login?next=${encodeURIComponent(`/p/${productId}`)}` });
        return toLogin(request, reply, `/p/${encodeURIComponent(productId)}`);
      }
      const add = Math.max(1, quantityOf(body.quantity, 1));
      const caller = callerOf(request);
      const current = await api.cart(caller);
      const existing = current.items.find((i) => i.productId === productId)?.quantity ?? 0;
      let cart: Cart;
      try {
        cart = await api.setQuantity(caller, productId, Math.min(100, existing + add));
      } catch (error) {
        if (upstreamFailure(error)?.code !== 'PRODUCT_ARCHIVED') throw error;
        if (wantsJson(request)) return reply.code(409).send({ error: 'This product is no longer sold.' });
        return seeOther(reply, `/p/${encodeURIComponent(productId)}?notice=not-sold`);
      }
      const line = cart.items.find((i) => i.productId === productId);
      // The price shown when it went in is the one the shopper expects at checkout.
      if (line && session.seenPrices[productId] === undefined) await sessions.rememberPrices(session, { ...session.seenPrices, [productId]: line.unitPrice.amount });
      if (wantsJson(request)) return { count: count(cart), name: line?.name ?? '' };
      return seeOther(reply, '/cart?notice=added');
    });

    app.post('/cart/items/:productId', { schema: { hide: true } }, async (request, reply) => {
      if (!request.session) return toLogin(request, reply, '/cart');
      const { productId } = request.params as { productId: string };
      const quantity = quantityOf(form(request).quantity, -1);
      if (quantity < 0) return seeOther(reply, '/cart');
      const caller = callerOf(request);
      if (quantity === 0) await api.removeItem(caller, productId);
      else await api.setQuantity(caller, productId, quantity);
      return seeOther(reply, `/cart?notice=${quantity === 0 ? 'removed' : 'updated'}`);
    });

    app.post('/cart/items/:productId/remove', { schema: { hide: true } }, async (request, reply) => {
      if (!request.session) return toLogin(request, reply, '/cart');
      const { productId } = request.params as { productId: string };
      await api.removeItem(callerOf(request), productId);
      return seeOther(reply, '/cart?notice=removed');
    });
  };
}
