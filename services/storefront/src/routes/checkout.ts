/** Checkout (address and card form, one idempotency key per rendered form) and the order page with its live status. */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ServiceApp } from '@bazaar/kit';
import { checkoutValues, COUNTRIES, TEST_CARDS, validateCheckout, type CheckoutValues, type FieldErrors } from '../domain/checkout-form.ts';
import { waitWhilePending } from '../domain/order-wait.ts';
import { outcomeOf } from '../domain/outcome.ts';
import { cartFingerprint, priceChanges, pricesOf, type PriceChange } from '../domain/prices.ts';
import { errors } from '../errors.ts';
import type { Pages } from '../render.ts';
import { callerOf, type Sessions } from '../session.ts';
import { upstreamFailure, type Cart, type Order, type ShopApi } from '../upstream/shop.ts';
import { form, seeOther, toLogin } from './support.ts';

export interface CheckoutDeps {
  api: ShopApi;
  pages: Pages;
  sessions: Sessions;
  /** How long the order page waits for a pending checkout before rendering. */
  orderWaitMs: number;
}

const EMPTY: CheckoutValues = { name: '', line1: '', city: '', postalCode: '', country: '', cardNumber: '', expiry: '', cvc: '' };
const KEY = /^[A-Za-z0-9-]{16,64}$/;

/** A failure after which the same checkout may simply be sent again: no answer, or the gateway or orders service busy. */
function transient(error: unknown): boolean {
  const status = upstreamFailure(error)?.status;
  if (status !== undefined) return status === 502 || status === 503 || status === 504;
  return error instanceof AppError && (error.code === 'UPSTREAM_TIMEOUT' || error.code === 'UPSTREAM_UNAVAILABLE');
}

/**
 * Send a checkout, and again with the same idempotency key when it got no
 * answer (a busy machine, a restarting instance): the orders service finds
 * the order it already made for this key instead of making a second one.
 */
async function checkoutWithRetries<T>(send: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await send();
    } catch (error) {
      if (i >= attempts || !transient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * i));
    }
  }
}

export function checkoutRoutes(deps: CheckoutDeps) {
  const { api, pages, sessions } = deps;

  function renderForm(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { cart: Cart; values?: CheckoutValues; errors?: FieldErrors; changes?: PriceChange[]; formError?: string | undefined; key?: string; status?: number },
  ) {
    return pages.render(request, reply, 'checkout', {
      title: 'Checkout',
      status: opts.status ?? 200,
      cart: opts.cart,
      values: opts.values ?? EMPTY,
      errors: opts.errors ?? {},
      changes: opts.changes ?? [],
      formError: opts.formError,
      // One key per rendered form: submitting it twice is one order; a new page is a new attempt.
      idempotencyKey: opts.key ?? randomUUID(),
      fingerprint: cartFingerprint(opts.cart.items),
      countries: COUNTRIES,
      testCards: TEST_CARDS,
    });
  }

  return async (app: ServiceApp) => {
    app.get('/checkout', { schema: { hide: true } }, async (request, reply) => {
      const session = request.session;
      if (!session) return toLogin(request, reply, '/checkout');
      const cart = await api.cart(callerOf(request));
      if (cart.items.length === 0) return seeOther(reply, '/cart');
      const changes = priceChanges(session.seenPrices, cart.items);
      await sessions.rememberPrices(session, pricesOf(cart.items));
      return renderForm(request, reply, { cart, changes });
    });

    app.post('/checkout', { schema: { hide: true } }, async (request, reply) => {
      const session = request.session;
      if (!session) return toLogin(request, reply, '/checkout');
      const body = form(request);
      const values = checkoutValues(body);
      const key = KEY.test(body.idempotencyKey ?? '') ? (body.idempotencyKey as string) : randomUUID();
      const caller = callerOf(request);
      const cart = await api.cart(caller);
      const checked = validateCheckout(values, new Date());
      if (cart.items.length === 0) {
        // A second press of a form whose first press already ordered: the cart is gone, but the key finds that order.
        if (!checked.ok) return seeOther(reply, '/cart');
        try {
          const result = await checkoutWithRetries(() => api.checkout(caller, key, checked.request, cart.version));
          return seeOther(reply, `/orders/${encodeURIComponent(result.orderId)}`);
        } catch (error) {
          if (upstreamFailure(error)?.code === 'CART_EMPTY' || upstreamFailure(error)?.code === 'IDEMPOTENCY_KEY_REUSED') return seeOther(reply, '/cart');
          throw error;
        }
      }
      if (!checked.ok) return renderForm(request, reply, { cart, values: { ...values, cvc: '' }, errors: checked.errors, key, status: 422 });
      if (body.fingerprint !== undefined && body.fingerprint !== cartFingerprint(cart.items)) {
        // The cart changed after this form was shown (another tab, a new price): show it again before charging anything.
        const changes = priceChanges(session.seenPrices, cart.items);
        await sessions.rememberPrices(session, pricesOf(cart.items));
        return renderForm(request, reply, {
          cart,
          values: { ...values, cvc: '' },
          changes,
          formError: changes.length > 0 ? undefined : 'Your cart changed since this page was shown. Please check the items and the total, then pay again.',
          status: 409,
        });
      }
      try {
        const result = await checkoutWithRetries(() => api.checkout(caller, key, checked.request, cart.version));
        return seeOther(reply, `/orders/${encodeURIComponent(result.orderId)}`);
      } catch (error) {
        if (transient(error)) {
          // Still no answer after retries: the order may exist. The same key is kept, so paying again cannot charge twice.
          return renderForm(request, reply, {
            cart,
            values: { ...values, cvc: '' },
            key,
            formError: 'We could not confirm your order yet — it may still go through. Check your account before paying again; pressing Pay again with this form never charges twice.',
            status: 503,
          });
        }
        const failure = upstreamFailure(error);
        if (failure?.code === 'CART_EMPTY') return seeOther(reply, '/cart');
        if (failure?.code === 'IDEMPOTENCY_KEY_REUSED') {
          return renderForm(request, reply, { cart, values: { ...values, cvc: '' }, formError: 'This form was already used for a different order. Please check the details and pay again.', status: 409 });
        }
        if (failure?.status === 429) {
          return renderForm(request, reply, { cart, values: { ...values, cvc: '' }, key, formError: 'Too many attempts in a short time. Please wait a minute and try again; nothing was charged.', status: 429 });
        }
        if (failure?.status === 400 || failure?.status === 422) {
          return renderForm(request, reply, { cart, values: { ...values, cvc: '' }, formError: failure.detail ?? 'The order service refused these details.', status: 422 });
        }
        throw error;
      }
    });

    async function loadOrder(request: FastifyRequest, id: string, waitMs: number): Promise<Order> {
      const caller = callerOf(request);
      const signal = AbortSignal.timeout(waitMs + 100);
      try {
        return await waitWhilePending<Order>({ fetch: () => api.order(caller, id), waitMs, signal });
      } catch (error) {
        const status = upstreamFailure(error)?.status;
        // Another customer's order is "not found" too: nobody learns which order ids exist.
        if (status === 404 || status === 403 || status === 400) throw errors.ORDER_NOT_FOUND();
        throw error;
      }
    }

    app.get('/orders/:id', { schema: { hide: true } }, async (request, reply) => {
      if (!request.session) return toLogin(request, reply);
      const { id } = request.params as { id: string };
      const order = await loadOrder(request, id, deps.orderWaitMs);
      const outcome = outcomeOf(order);
      return pages.render(request, reply, 'order', {
        title: outcome.heading,
        order,
        outcome,
        address: order.shippingAddress,
        shipment: order.shipment,
      });
    });

    // Live status for the script: answers as soon as the order leaves PENDING, or after a long-poll window.
    app.get('/orders/:id/status', { schema: { hide: true } }, async (request, reply) => {
      reply.header('cache-control', 'private, no-store');
      if (!request.session) return reply.code(401).send({ signIn: '/account/login' });
      const { id } = request.params as { id: string };
      const order = await loadOrder(request, id, 8000);
      const outcome = outcomeOf(order);
      return { id: order.id, status: order.status, ...outcome };
    });
  };
}
