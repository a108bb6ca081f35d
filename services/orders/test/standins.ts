/**
 * Real HTTP stand-ins for cart, inventory and payments: small apps on port 0
 * implementing the internal contracts (packages/contracts) with behaviour a
 * test can control — declines, short stock, 503s, slow or hanging answers.
 */
import { AppError, DEADLINE_HEADER, createServiceApp, requireService, type ServiceApp } from '@bazaar/kit';
import { testCredentials, testLogger } from '@bazaar/kit/testing';
import type { Cart, OrderedItemsRequest } from '@bazaar/contracts/cart';
import type { ReserveRequest } from '@bazaar/contracts/inventory';
import type { AuthorizeRequest } from '@bazaar/contracts/payments';
import type { Email } from '@bazaar/contracts/notifications';

export const DECLINED_CARD = '4000000000000002';
export const NO_FUNDS_CARD = '4000000000009995';

export type Operation = 'cart' | 'ordered' | 'reserve' | 'commit' | 'release' | 'authorize' | 'capture' | 'void' | 'refund' | 'payment' | 'emails';

/** How an operation misbehaves: answer 503 `fail` times, wait `delayMs` first, or never answer (`hang`). */
export interface Fault {
  fail?: number;
  /** Answer this 4xx status (with code REFUSED) every time: a permanent refusal. */
  refuse?: number;
  delayMs?: number;
  hang?: boolean;
}

export interface Call {
  op: Operation;
  orderId: string;
  /** The deadline budget the caller sent (bazaar-deadline-ms), when it sent one. */
  deadlineMs?: number;
}

export interface Upstreams {
  urls: { cartUrl: string; inventoryUrl: string; paymentsUrl: string; notificationsUrl: string };
  carts: Map<string, Cart>;
  /** What the notifications stand-in says it sent, per order (GET /internal/emails?orderId=). */
  emails: Map<string, Email[]>;
  /** Every "order confirmed, take its lines out" the cart received (POST /internal/carts/:userId/ordered), in arrival order; the stand-in's carts do not change. */
  ordered: (OrderedItemsRequest & { userId: string })[];
  stock: Map<string, number>;
  reservations: Map<string, { status: 'RESERVED' | 'COMMITTED' | 'RELEASED'; items: { productId: string; quantity: number }[] }>;
  payments: Map<string, { status: 'AUTHORIZED' | 'DECLINED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED'; declineCode?: string }>;
  faults: Partial<Record<Operation, Fault>>;
  /** Answer a void for an unknown payment 404 without pspChecked, as payments did before issue 12. */
  setLegacyVoidNotFound(on: boolean): void;
  calls: Call[];
  count(op: Operation, orderId?: string): number;
  /** Let every call held by a `hang` fault go on (remove the fault first, or later calls hang again). */
  releaseHanging(): void;
  /** Put products in a user's cart (and give them stock, 10 by default). */
  fillCart(userId: string, lines: { productId: string; name: string; quantity: number; price: number; stock?: number }[]): void;
  close(): Promise<void>;
}

const problem = (status: number, code: string, detail: string, extensions: Record<string, unknown> = {}) =>
  new AppError({ code, status, title: code, detail, extensions });

/** Start the three stand-ins. */
export async function startUpstreams(): Promise<Upstreams> {
  const carts = new Map<string, Cart>();
  let cartVersions = 0;
  const stock = new Map<string, number>();
  const reservations: Upstreams['reservations'] = new Map();
  const payments: Upstreams['payments'] = new Map();
  const faults: Upstreams['faults'] = {};
  let legacyVoidNotFound = false;
  const calls: Call[] = [];
  const ordered: Upstreams['ordered'] = [];
  const hanging = new Set<() => void>();

  /** Record the call and apply its fault, if any; true when the handler should go on. */
  async function enter(op: Operation, orderId: string, headers: Record<string, string | string[] | undefined> = {}): Promise<void> {
    const budget = headers[DEADLINE_HEADER];
    calls.push({ op, orderId, ...(typeof budget === 'string' ? { deadlineMs: Number(budget) } : {}) });
    const fault = faults[op];
    if (!fault) return;
    if (fault.hang) await new Promise<void>((resolve) => hanging.add(resolve));
    if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.refuse !== undefined) throw problem(fault.refuse, 'REFUSED', `${op} refused (stand-in)`);
    if (fault.fail !== undefined && fault.fail > 0) {
      fault.fail -= 1;
      throw problem(503, 'UNAVAILABLE', `${op} is down (stand-in)`);
    }
  }

  const app = (name: string): ServiceApp => {
    const a = createServiceApp({ name: 'stand-in', logger: testLogger(), defaultMetrics: false });
    // The saga's upstreams accept orders alone, as their descriptors do.
    a.addHook('preHandler', requireService(testCredentials(name), ['orders']));
    return a;
  };

  const cart = app('cart');
  cart.get('/internal/carts/:userId', async (request) => {
    const { userId } = request.params as { userId: string };
    await enter('cart', userId);
    return carts.get(userId) ?? { items: [], total: { amount: 0, currency: 'EUR' }, version: 'empty' };
  });
  cart.post('/internal/carts/:userId/ordered', async (request, reply) => {
    const { userId } = request.params as { userId: string };
    const body = request.body as OrderedItemsRequest;
    ordered.push({ userId, ...body });
    await enter('ordered', body.orderId);
    return reply.code(204).send();
  });

  const inventory = app('inventory');
  inventory.post('/internal/inventory/reservations', async (request, reply) => {
    const req = request.body as ReserveRequest;
    await enter('reserve', req.orderId, request.headers);
    const known = reservations.get(req.orderId);
    if (!known) {
      for (const item of req.items) {
        if ((stock.get(item.productId) ?? 0) < item.quantity) {
          throw problem(409, 'INSUFFICIENT_STOCK', `Not enough stock of ${item.productId}`, { productId: item.productId });
        }
      }
      for (const item of req.items) stock.set(item.productId, (stock.get(item.productId) ?? 0) - item.quantity);
      reservations.set(req.orderId, { status: 'RESERVED', items: req.items });
    }
    const r = reservations.get(req.orderId);
    return reply.code(201).send({ orderId: req.orderId, status: r?.status, items: r?.items, expiresAt: new Date(Date.now() + 600_000).toISOString() });
  });
  inventory.post('/internal/inventory/reservations/:orderId/:action', async (request) => {
    const { orderId, action } = request.params as { orderId: string; action: string };
    const op = action === 'commit' ? 'commit' : 'release';
    await enter(op, orderId, request.headers);
    const r = reservations.get(orderId);
    if (!r) throw problem(404, 'RESERVATION_NOT_FOUND', `No reservation for ${orderId}`);
    if (op === 'commit') {
      if (r.status === 'RELEASED') throw problem(409, 'RESERVATION_RELEASED', 'released');
      r.status = 'COMMITTED';
    } else {
      if (r.status === 'COMMITTED') throw problem(409, 'RESERVATION_COMMITTED', 'committed');
      if (r.status === 'RESERVED') for (const item of r.items) stock.set(item.productId, (stock.get(item.productId) ?? 0) + item.quantity);
      r.status = 'RELEASED';
    }
    return { orderId, status: r.status, items: r.items, expiresAt: new Date().toISOString() };
  });

  const pay = app('payments');
  /** Orders whose void came before any authorize: like payments with the PSP's technical cancel, a later authorize is declined. */
  const cancelledRefs = new Set<string>();
  const paymentOf = (orderId: string) => {
    const p = payments.get(orderId);
    if (!p) throw problem(404, 'PAYMENT_NOT_FOUND', `No payment for ${orderId}`);
    return p;
  };
  const view = (orderId: string) => ({ paymentId: `pay-${orderId}`, orderId, status: paymentOf(orderId).status, amount: { amount: 1, currency: 'EUR' }, cardLast4: '4242' });
  pay.post('/internal/payments/authorize', async (request, reply) => {
    const req = request.body as AuthorizeRequest;
    await enter('authorize', req.orderId, request.headers);
    if (!payments.has(req.orderId) && cancelledRefs.has(req.orderId)) payments.set(req.orderId, { status: 'DECLINED', declineCode: 'reference_cancelled' });
    if (!payments.has(req.orderId)) {
      const declineCode = req.card.number === DECLINED_CARD ? 'card_declined' : req.card.number === NO_FUNDS_CARD ? 'insufficient_funds' : undefined;
      payments.set(req.orderId, declineCode ? { status: 'DECLINED', declineCode } : { status: 'AUTHORIZED' });
    }
    const p = paymentOf(req.orderId);
    if (p.status === 'DECLINED') throw problem(402, 'PAYMENT_DECLINED', 'The card was declined', { declineCode: p.declineCode });
    return reply.code(201).send(view(req.orderId));
  });
  pay.post('/internal/payments/:orderId/:action', async (request) => {
    const { orderId, action } = request.params as { orderId: string; action: 'capture' | 'void' | 'refund' };
    await enter(action, orderId, request.headers);
    if (action === 'void' && !payments.has(orderId)) {
      // Payments' contract: a 404 to a void says the PSP holds nothing for the order, and never will (pspChecked).
      // legacyVoidNotFound plays an older payments that answered 404 without asking the PSP.
      if (legacyVoidNotFound) throw problem(404, 'PAYMENT_NOT_FOUND', `No payment for ${orderId}`);
      cancelledRefs.add(orderId);
      throw problem(404, 'PAYMENT_NOT_FOUND', `No payment for ${orderId}; none can be authorized any more`, { pspChecked: true });
    }
    const p = paymentOf(orderId);
    const allowed = { capture: ['AUTHORIZED', 'CAPTURED'], void: ['AUTHORIZED', 'VOIDED'], refund: ['CAPTURED', 'REFUNDED'] }[action];
    if (!allowed.includes(p.status)) throw problem(409, 'PAYMENT_STATE', `Cannot ${action} a ${p.status} payment`);
    p.status = ({ capture: 'CAPTURED', void: 'VOIDED', refund: 'REFUNDED' } as const)[action];
    return view(orderId);
  });
  pay.get('/internal/payments/:orderId', async (request) => {
    const { orderId } = request.params as { orderId: string };
    await enter('payment', orderId);
    return view(orderId);
  });

  const emails: Upstreams['emails'] = new Map();
  const notifications = app('notifications');
  notifications.get('/internal/emails', async (request) => {
    const { orderId } = request.query as { orderId?: string };
    await enter('emails', orderId ?? '');
    return { emails: [...(orderId === undefined ? [...emails.values()].flat() : (emails.get(orderId) ?? []))].reverse() };
  });

  const listen = async (a: ServiceApp) => a.listen({ host: '127.0.0.1', port: 0 });
  const [cartUrl, inventoryUrl, paymentsUrl, notificationsUrl] = await Promise.all([listen(cart), listen(inventory), listen(pay), listen(notifications)]);

  return {
    urls: { cartUrl: cartUrl as string, inventoryUrl: inventoryUrl as string, paymentsUrl: paymentsUrl as string, notificationsUrl: notificationsUrl as string },
    carts,
    emails,
    ordered,
    stock,
    reservations,
    payments,
    faults,
    setLegacyVoidNotFound(on) {
      legacyVoidNotFound = on;
    },
    calls,
    count: (op, orderId) => calls.filter((c) => c.op === op && (orderId === undefined || c.orderId === orderId)).length,
    releaseHanging() {
      for (const release of hanging) release();
      hanging.clear();
    },
    fillCart(userId, lines) {
      const items = lines.map((l) => ({
        productId: l.productId,
        name: l.name,
        quantity: l.quantity,
        unitPrice: { amount: l.price, currency: 'EUR' },
        lineTotal: { amount: l.price * l.quantity, currency: 'EUR' },
      }));
      for (const l of lines) stock.set(l.productId, l.stock ?? 10);
      cartVersions += 1;
      carts.set(userId, { items, total: { amount: items.reduce((sum, i) => sum + i.lineTotal.amount, 0), currency: 'EUR' }, version: `v${cartVersions}` });
    },
    async close() {
      for (const release of hanging) release();
      await Promise.all([cart.close(), inventory.close(), pay.close(), notifications.close()]);
    },
  };
}
