import { testLogger, callAs, testCredentials } from '@bazaar/kit/testing';
import { startTestProducer } from '@bazaar/messaging/testing';
import type { EventData, EventType, OrderCancelledData, OrderConfirmedData, OrderRefundedData, OrderShippedData } from '@bazaar/contracts/events';
import { createMailbox, startSmtpSink, type Mailbox, type SmtpSink } from '@bazaar/mail-sink';
import { buildApp } from '../src/app.ts';
import { openNotificationsStore, type EmailRecord, type NotificationsStore } from '../src/store/index.ts';
import { startNotificationWorkers, type NotificationWorkers } from '../src/workers.ts';

export const internal = callAs('notifications');

/** A stand-in for orders: a real outbox served over a real HTTP feed on a local port. */
export async function startOrdersProducer() {
  const orders = await startTestProducer({ source: 'orders', credentials: testCredentials('orders') });
  return {
    url: orders.url,
    /** Append one event as orders would (subject: the order id), in a transaction; returns the event id. */
    async publish<T extends Extract<EventType, `orders.${string}`>>(type: T, data: EventData<T>): Promise<string> {
      return (await orders.publish(type, data, data.orderId)).id;
    },
    close: orders.close,
  };
}

/** The real SMTP sink (tools/mail-sink), on a port of our choosing (0: any). */
export async function startSink(port = 0): Promise<{ mailbox: Mailbox; smtp: SmtpSink; url: string }> {
  const mailbox = createMailbox({ max: 100 });
  const smtp = await startSmtpSink({ mailbox, logger: testLogger(), maxBytes: 10 * 1024 * 1024, host: '127.0.0.1', port });
  return { mailbox, smtp, url: `smtp://127.0.0.1:${smtp.port}` };
}

/** Notifications as main.ts wires it, over the given (or an in-memory) store, with fast timers. */
export async function startNotifications(opts: { ordersUrl: string; smtpUrl: string; store?: NotificationsStore }) {
  const store = opts.store ?? (await openNotificationsStore({ dataDir: '', inMemory: true }));
  const app = buildApp({ store, logger: testLogger(), credentials: testCredentials('notifications'), defaultMetrics: false });
  const workers: NotificationWorkers = startNotificationWorkers({
    store,
    logger: testLogger(),
    ordersUrl: opts.ordersUrl,
    credentials: testCredentials('notifications'),
    smtpUrl: opts.smtpUrl,
    from: 'Bazaar <orders@bazaar.local>',
    sendIntervalMs: 50,
    retry: { baseMs: 30, maxMs: 150 },
    feedWaitMs: 1000,
  });
  const emails = async (query = ''): Promise<EmailRecord[]> => {
    const res = await app.inject({ url: `/internal/emails${query}`, headers: internal });
    if (res.statusCode !== 200) throw new Error(`GET /internal/emails answered ${res.statusCode}: ${res.body}`);
    return (res.json() as { emails: EmailRecord[] }).emails;
  };
  return {
    app,
    store,
    workers,
    emails,
    /** Stop the workers and the app; the store stays open for the caller to reuse or close. */
    async stop() {
      await workers.stop();
      await app.close();
    },
  };
}

export const confirmedOrder = (over: Partial<OrderConfirmedData> = {}): OrderConfirmedData => ({
  orderId: '3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f',
  userId: 'user-1',
  email: 'ada@example.test',
  items: [
    { productId: 'p-lamp', name: 'Desk Lamp', quantity: 2, unitPrice: { amount: 2599, currency: 'EUR' }, lineTotal: { amount: 5198, currency: 'EUR' } },
    { productId: 'p-pen', name: 'Fountain Pen', quantity: 1, unitPrice: { amount: 150, currency: 'EUR' }, lineTotal: { amount: 150, currency: 'EUR' } },
  ],
  total: { amount: 5348, currency: 'EUR' },
  confirmedAt: '2026-01-02T10:00:00.000Z',
  ...over,
});

export const cancelledOrder = (over: Partial<OrderCancelledData> = {}): OrderCancelledData => ({
  orderId: '9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e',
  userId: 'user-2',
  email: 'bob@example.test',
  items: [{ productId: 'p-lamp', name: 'Desk Lamp', quantity: 1, unitPrice: { amount: 2599, currency: 'EUR' }, lineTotal: { amount: 2599, currency: 'EUR' } }],
  total: { amount: 2599, currency: 'EUR' },
  reason: 'the card was declined',
  cancelledAt: '2026-01-02T10:00:00.000Z',
  ...over,
});

export const shippedOrder = (over: Partial<OrderShippedData> = {}): OrderShippedData => ({
  orderId: '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716',
  userId: 'user-1',
  email: 'ada@example.test',
  carrier: 'La Poste',
  trackingNumber: 'LP 1234-FR',
  shippedAt: '2026-01-03T10:00:00.000Z',
  items: confirmedOrder().items,
  shippingAddress: { name: 'Ada Lovelace', line1: '1 Market Street', city: 'Lyon', postalCode: '69001', country: 'FR' },
  customerName: 'Ada Lovelace',
  ...over,
});

export const refundedOrder = (over: Partial<OrderRefundedData> = {}): OrderRefundedData => ({
  orderId: '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716',
  userId: 'user-1',
  email: 'ada@example.test',
  amount: { amount: 5348, currency: 'EUR' },
  restock: true,
  items: confirmedOrder().items,
  reason: 'damaged in transit',
  refundedAt: '2026-01-04T10:00:00.000Z',
  ...over,
});
