import { createAuthenticator } from '@bazaar/kit';
import { createTestKeys, testLogger, type TestKeys, callAs, testCredentials } from '@bazaar/kit/testing';
import { startTestProducer, type TestProducer } from '@bazaar/messaging/testing';
import type { OrderCancelledData, OrderConfirmedData, PaymentEventData } from '@bazaar/contracts/events';
import type { SalesReport } from '@bazaar/contracts/reports';
import { buildApp } from '../src/app.ts';
import { openReportsStore, type ReportsStore } from '../src/store/index.ts';
import { startReportsWorkers } from '../src/workers.ts';

export const internal = callAs('reports');

/**
 * A stand-in for a producer (orders or payments): a real outbox served over
 * a real HTTP feed, which can be stopped and started again on the same port.
 */
export const startProducer = (source: 'orders' | 'payments'): Promise<TestProducer> => startTestProducer({ source, credentials: testCredentials(source) });

/** Reports as main.ts wires it (real workers, real DuckDB), with test signing keys and short timers. */
export async function startReports(opts: { ordersUrl: string; paymentsUrl: string; store?: ReportsStore; keys?: TestKeys }) {
  const store = opts.store ?? (await openReportsStore({ dataDir: '', inMemory: true }));
  const keys = opts.keys ?? (await createTestKeys());
  const workers = await startReportsWorkers({
    store,
    logger: testLogger(),
    urls: { orders: opts.ordersUrl, payments: opts.paymentsUrl },
    credentials: testCredentials('reports'),
    feedWaitMs: 1000,
    rebuildCheckMs: 50,
  });
  const app = buildApp({
    store,
    logger: testLogger(),
    auth: createAuthenticator(keys.keys),
    rebuild: workers.rebuilder,
    credentials: testCredentials('reports'),
    currency: 'EUR',
    defaultMetrics: false,
  });
  const admin = await keys.sign({ sub: 'admin-1', roles: ['admin'] });
  const sales = async (query = ''): Promise<SalesReport> => {
    const res = await app.inject({ url: `/api/reports/sales${query}`, headers: { authorization: `Bearer ${admin}` } });
    if (res.statusCode !== 200) throw new Error(`GET /api/reports/sales answered ${res.statusCode}: ${res.body}`);
    return res.json();
  };
  return {
    app,
    store,
    workers,
    sales,
    /** Stop the workers and the app; the store stays open for the caller to reuse or close. */
    async stop() {
      await workers.stop();
      await app.close();
    },
  };
}

const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** A confirmed order: 2 × lamp (25.99) + 1 × pen (1.50) unless told otherwise. */
export const confirmedOrder = (over: Partial<OrderConfirmedData> = {}): OrderConfirmedData => ({
  orderId: 'order-1',
  userId: 'user-1',
  email: 'ada@example.test',
  items: [
    { productId: 'p-lamp', name: 'Desk Lamp', quantity: 2, unitPrice: eur(2599), lineTotal: eur(5198) },
    { productId: 'p-pen', name: 'Fountain Pen', quantity: 1, unitPrice: eur(150), lineTotal: eur(150) },
  ],
  total: eur(5348),
  confirmedAt: '2026-01-02T10:00:00.000Z',
  ...over,
});

/** An order of `quantity` units of one product at `price`. */
export const orderOf = (opts: { orderId: string; productId: string; name?: string; quantity: number; price: number; confirmedAt: string }): OrderConfirmedData =>
  confirmedOrder({
    orderId: opts.orderId,
    items: [{ productId: opts.productId, name: opts.name ?? opts.productId, quantity: opts.quantity, unitPrice: eur(opts.price), lineTotal: eur(opts.quantity * opts.price) }],
    total: eur(opts.quantity * opts.price),
    confirmedAt: opts.confirmedAt,
  });

export const cancelledOrder = (over: Partial<OrderCancelledData> = {}): OrderCancelledData => ({
  orderId: 'order-9',
  userId: 'user-2',
  email: 'bob@example.test',
  items: [{ productId: 'p-lamp', name: 'Desk Lamp', quantity: 1, unitPrice: eur(2599), lineTotal: eur(2599) }],
  total: eur(2599),
  reason: 'payment declined: card_declined',
  cancelledAt: '2026-01-02T11:00:00.000Z',
  ...over,
});

export const payment = (status: PaymentEventData['status'], over: Partial<PaymentEventData> = {}): PaymentEventData => ({
  paymentId: 'pay-1',
  orderId: 'order-1',
  amount: eur(5348),
  status,
  ...over,
});
