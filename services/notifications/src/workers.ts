import type { Logger, ServiceCredentials } from '@bazaar/kit';
import { createHttpFeedTransport, cursorStore, startConsumer, type EventTransport } from '@bazaar/messaging';
import { domainOf } from './domain/emails.ts';
import { CONSUMER, afterEachEvent, orderEventHandlers } from './events.ts';
import { createSender } from './sender.ts';
import { smtpTransport } from './upstream/smtp.ts';
import { emailRepository, type NotificationsStore } from './store/index.ts';

export interface WorkerOptions {
  store: NotificationsStore;
  logger: Logger;
  ordersUrl: string;
  credentials: ServiceCredentials;
  smtpUrl: string;
  from: string;
  sendIntervalMs: number;
  retry: { baseMs: number; maxMs: number };
  /** Long-poll wait on the orders feed (default: the transport's). */
  feedWaitMs?: number;
  /** Where orders' events come from (main.ts: eventTransportFromConfig); default: the embedded feed at ordersUrl. */
  transport?: EventTransport;
}

/**
 * The service's background work: consume orders' events into queued emails,
 * and send queued emails over SMTP. stop() ends both (consumer first, so
 * nothing is queued after the sender stops) and waits for work in progress.
 */
export function startNotificationWorkers(opts: WorkerOptions) {
  const emails = emailRepository(opts.store.db);
  const sender = createSender({
    emails,
    transport: smtpTransport(opts.smtpUrl),
    from: opts.from,
    logger: opts.logger,
    intervalMs: opts.sendIntervalMs,
    retry: opts.retry,
  });
  sender.start();
  const feed =
    opts.transport ??
    createHttpFeedTransport({
      urls: { orders: opts.ordersUrl },
      credentials: opts.credentials,
      cursors: cursorStore(opts.store.db),
      logger: opts.logger,
      ...(opts.feedWaitMs === undefined ? {} : { waitMs: opts.feedWaitMs }),
    });
  const subscription = startConsumer({
    db: opts.store.db,
    // Kick the sender once an event's email has committed, so mail goes out at once, not on the next tick.
    transport: afterEachEvent(feed, () => sender.kick()),
    consumer: CONSUMER,
    source: 'orders',
    handlers: orderEventHandlers({ mailDomain: domainOf(opts.from), emails }),
    logger: opts.logger,
  });
  return {
    sender,
    async stop(): Promise<void> {
      await subscription.stop();
      await sender.stop();
    },
  };
}

export type NotificationWorkers = ReturnType<typeof startNotificationWorkers>;
