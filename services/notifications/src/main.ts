import { createLogger, loadConfig, main, startService, startTelemetry, serviceCredentials } from '@bazaar/kit';
import { storeLocation } from '@bazaar/store';
import { cursorStore, eventTransportFromConfig } from '@bazaar/messaging';
import { NotificationsConfig } from './config.ts';
import { buildApp } from './app.ts';
import { openNotificationsStore } from './store/index.ts';
import { startNotificationWorkers } from './workers.ts';
import { smtpTarget } from './upstream/smtp.ts';

await main(async () => {
  const config = loadConfig(NotificationsConfig);
  const credentials = serviceCredentials('notifications', config);
  startTelemetry({ service: 'notifications', config });
  const logger = createLogger({ service: 'notifications', level: config.LOG_LEVEL });
  const store = await openNotificationsStore(storeLocation({ service: 'notifications', config, databaseUrl: config.NOTIFICATIONS_DATABASE_URL }));
  if (store.applied.length > 0) logger.info({ migrations: store.applied, location: store.location }, 'migrations applied');
  // NATS_URL set: orders' events arrive over JetStream (durable consumer "notifications"); unset: the embedded HTTP feed.
  const events = eventTransportFromConfig({
    service: 'notifications',
    config,
    logger,
    feeds: { urls: { orders: config.ORDERS_URL }, credentials, cursors: cursorStore(store.db), lingerMs: config.EVENT_FEED_LINGER_MS },
  });
  const app = buildApp({
    store,
    logger,
    credentials,
    bodyLimit: config.BODY_LIMIT_BYTES,
  });
  const workers = startNotificationWorkers({
    store,
    logger,
    ordersUrl: config.ORDERS_URL,
    credentials,
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    sendIntervalMs: config.NOTIFY_SEND_INTERVAL_MS,
    retry: { baseMs: config.NOTIFY_RETRY_BASE_MS, maxMs: config.NOTIFY_RETRY_MAX_MS },
    transport: events.transport,
  });
  logger.info({ smtp: smtpTarget(config.SMTP_URL), orders: events.mode === 'jetstream' ? 'NATS JetStream' : config.ORDERS_URL }, 'consuming orders events; sending over SMTP');
  // Stop consuming and sending before the store closes; startService runs this after requests drain.
  app.addHook('onClose', async () => {
    await workers.stop();
    await events.close();
    await store.close();
  });
  await startService({ app, config, logger });
});
