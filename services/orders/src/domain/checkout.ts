import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '@bazaar/kit';
import type { CheckoutRequest, CheckoutResponse } from '@bazaar/contracts/orders';
import { errors } from '../errors.ts';
import type { CardVault } from './card-vault.ts';
import type { CartPort, OrderRecord, OrderRepository } from './model.ts';

export type { CartPort } from './model.ts';
import type { SagaRunner } from './runner.ts';

export interface CheckoutSettings {
  /** Time from checkout until the payment must be captured. */
  deadlineMs: number;
  /** Longest a confirmed checkout waits for the cart to take the ordered lines out (0: it does not ask). */
  cartClearTimeoutMs: number;
}

/**
 * The request's fingerprint for idempotency: SHA-256 of its canonical JSON.
 * The card enters as last four digits and expiry only: a hash over the full
 * number or the 3–4 digit CVC could be reversed by trying every value, which
 * would amount to storing them.
 */
export function requestHash(body: CheckoutRequest): string {
  const { number, expMonth, expYear } = body.card;
  const fingerprint = { shippingAddress: body.shippingAddress, card: { last4: number.slice(-4), expMonth, expYear } };
  return createHash('sha256').update(canonicalJson(fingerprint)).digest('hex');
}

/** JSON with object keys sorted at every level, so equal documents hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Whether an If-Match header names this cart version (RFC 9110 §13.1.1):
 * a list of entity tags, compared strongly (a weak tag never matches). "*"
 * is not accepted: checkout must name the version the shopper saw.
 */
export function ifMatchAccepts(header: string, version: string): boolean {
  return ifMatchVersions(header).includes(version);
}

/** The versions an If-Match header names with strong entity tags (weak ones never match). */
export function ifMatchVersions(header: string): string[] {
  const tags = header.match(/(?:W\/)?"[^"]*"/g) ?? [];
  return tags.filter((tag) => !tag.startsWith('W/')).map((tag) => tag.slice(1, -1));
}

/** 409 for a cart version that already became an order (`first`; undefined when the claim is all that is known). */
function alreadyOrdered(first: string | undefined) {
  return errors.CART_ALREADY_ORDERED(
    first === undefined
      ? 'This cart was being ordered by another checkout; look at your orders before trying again.'
      : `This cart version already became order ${first}; it is not ordered twice. Change the cart to order again.`,
    first === undefined ? {} : { orderId: first },
  );
}

/** POST /api/checkout: turn the user's cart into a PENDING order and start its saga, once per idempotency key. */
export function createCheckout(deps: {
  orders: OrderRepository;
  cart: CartPort;
  runner: SagaRunner;
  vault: CardVault;
  settings: CheckoutSettings;
  logger: Logger;
  now?: () => number;
}) {
  const { orders, runner, settings } = deps;
  const now = deps.now ?? Date.now;

  /** The order this key already stands for; 422 when it was used with another body. */
  async function existing(userId: string, key: string, hash: string): Promise<string | undefined> {
    const found = await orders.findKey(userId, key);
    if (!found) return undefined;
    if (found.requestHash !== hash) {
      throw errors.IDEMPOTENCY_KEY_REUSED('This Idempotency-Key was already used for a checkout with a different body; use a new key for a new checkout.');
    }
    return found.orderId;
  }

  /**
   * The order the version the shopper names already became. Asked only when the cart no longer is that version: a
   * concurrent checkout of it (or a retry with a fresh key) may have confirmed and emptied the cart meanwhile, and must
   * hear of that order — not "your cart is empty" or "changed", which invite buying again.
   */
  async function orderedVersion(userId: string, ifMatch: string): Promise<string | undefined> {
    for (const version of ifMatchVersions(ifMatch)) {
      const orderId = await orders.orderOfCartVersion(userId, version);
      if (orderId !== undefined) return orderId;
    }
    return undefined;
  }

  async function start(opts: { user: { id: string; email: string }; key: string; body: CheckoutRequest; hash: string; traceparent: string; ifMatch: string; receivedAt?: number | undefined }): Promise<string> {
    const { user, key, body, hash } = opts;
    const cart = await deps.cart.pricedCart(user.id);
    if (cart.items.length === 0 || !ifMatchAccepts(opts.ifMatch, cart.version)) {
      // A retry whose first attempt confirmed (and so emptied the cart) in the meantime gets that order.
      const raced = await existing(user.id, key, hash);
      if (raced !== undefined) return raced;
      const first = await orderedVersion(user.id, opts.ifMatch);
      if (first !== undefined) throw alreadyOrdered(first);
    }
    if (cart.items.length === 0) throw errors.CART_EMPTY('Your cart is empty: add something to it before checking out.');
    if (!ifMatchAccepts(opts.ifMatch, cart.version)) {
      // Nothing is reserved or charged: the shopper sees the cart as it is now, and decides again.
      throw errors.CART_CHANGED('Your cart changed since you saw it (a price or a line); check it again, then check out with its new ETag.', { cart });
    }
    const createdAt = now();
    // The shopper has waited since the shop first received this checkout (another instance may have been tried
    // first and not answered): the deadline counts from then, but leaves the saga at least half of its time.
    const since = Math.min(createdAt, Math.max(opts.receivedAt ?? createdAt, createdAt - settings.deadlineMs / 2));
    const orderId = randomUUID();
    const created = await orders.create({
      key,
      requestHash: hash,
      order: {
        id: orderId,
        userId: user.id,
        email: user.email,
        status: 'PENDING',
        items: cart.items,
        total: cart.total,
        reason: null,
        createdAt: new Date(createdAt).toISOString(),
        shippingAddress: body.shippingAddress,
        customerName: body.shippingAddress.name,
        cartVersion: cart.version,
      },
      saga: {
        orderId,
        step: 'RESERVING',
        deadlineAt: since + settings.deadlineMs,
        nextAttemptAt: createdAt,
        attempts: 0,
        lastError: null,
        reason: null,
        compensations: [],
        traceparent: opts.traceparent,
      },
    });
    if (created === 'key-taken') {
      // A concurrent request with the same key won the unique index: answer with its order.
      const winner = await existing(user.id, key, hash);
      if (winner === undefined) throw new Error('idempotency key taken but not found');
      return winner;
    }
    if (typeof created === 'object') throw alreadyOrdered(created.versionTaken);
    deps.vault.put(orderId, body.card);
    runner.kick(orderId);
    return orderId;
  }

  /**
   * The order is CONFIRMED and the shopper is about to hear it: ask the cart
   * to take its lines out now, so the cart the shopper sees next (and their
   * next checkout's If-Match) no longer holds them. Bounded by
   * `cartClearTimeoutMs` and by what is left until `answerBy`; any failure is
   * only logged: `orders.order-confirmed` takes the lines out anyway, and the
   * cart applies the two once between them (services/cart/README.md).
   */
  async function clearCart(order: OrderRecord, answerBy: number): Promise<void> {
    const timeoutMs = Math.min(settings.cartClearTimeoutMs, answerBy - now());
    if (order.cartVersion === undefined || timeoutMs <= 0) return;
    const items = order.items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
    try {
      await deps.cart.removeOrdered({ userId: order.userId, orderId: order.id, cartVersion: order.cartVersion, items }, { timeoutMs });
    } catch (error) {
      deps.logger.info({ err: error, orderId: order.id }, 'the cart did not take the ordered lines out in time; the order-confirmed event will');
    }
  }

  return {
    /** `receivedAt`: when the edge first received the request, if before this instance did (kit's `receivedAt`). */
    async checkout(opts: { user: { id: string; email: string }; key: string; ifMatch: string; body: CheckoutRequest; traceparent: string; answerBy: number; receivedAt?: number | undefined }): Promise<CheckoutResponse> {
      const hash = requestHash(opts.body);
      const orderId = (await existing(opts.user.id, opts.key, hash)) ?? (await start({ ...opts, hash }));
      // Every request for this key, first or repeated, waits for the same saga.
      const wait = runner.waitFor(orderId, Math.max(0, opts.answerBy - now()));
      let order = await orders.get(orderId);
      if (order?.status === 'PENDING') {
        await wait.done;
        order = await orders.get(orderId);
      } else {
        wait.cancel();
      }
      if (!order) throw new Error(`order ${orderId} vanished`);
      if (order.status === 'CONFIRMED') await clearCart(order, opts.answerBy);
      return { orderId, status: order.status };
    },
  };
}

export type Checkout = ReturnType<typeof createCheckout>;
