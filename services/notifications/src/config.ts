import { Type, type Static } from 'typebox';
import { ServiceCredentialConfig, configSchema } from '@bazaar/kit';
import { FeedConsumerConfig, NatsConfig } from '@bazaar/messaging';

/** smtp:// or smtps://, optional user:password@, a host, an optional port, optional options after / or ?. */
const SMTP_URL_PATTERN = '^smtps?://(?:[^\\s@/]+@)?[^\\s@/:?]+(?::\\d{1,5})?(?:[/?]\\S*)?$';
/** "Name <address@domain>" or a bare address. */
const MAIL_FROM_PATTERN = '^(?:[^<>]*<[^\\s<>@]+@[^\\s<>@]+>|[^\\s<>@]+@[^\\s<>@]+)$';

/** Notifications configuration, from the environment. */
export const NotificationsConfig = configSchema({
  ...ServiceCredentialConfig,
  // NATS_URL set: events travel over JetStream; unset: the embedded HTTP feed.
  ...NatsConfig,
  ...FeedConsumerConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8088 }),
  NOTIFICATIONS_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: "This service's own PostgreSQL database; wins over BAZAAR_POSTGRES_URL" })),
  ORDERS_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8085', description: 'Where orders serves its event feed' }),
  SMTP_URL: Type.String({
    pattern: SMTP_URL_PATTERN,
    default: 'smtp://127.0.0.1:2525',
    description: 'SMTP server mail is handed to: smtp://[user:pass@]host[:port] or smtps:// for implicit TLS',
  }),
  MAIL_FROM: Type.String({ pattern: MAIL_FROM_PATTERN, default: 'Bazaar <orders@bazaar.local>', description: 'The From of every email' }),
  NOTIFY_SEND_INTERVAL_MS: Type.Integer({ minimum: 10, default: 200, description: 'How often the sender looks for pending emails' }),
  NOTIFY_RETRY_BASE_MS: Type.Integer({ minimum: 10, default: 1000, description: 'First retry delay after an SMTP failure; doubles per attempt' }),
  NOTIFY_RETRY_MAX_MS: Type.Integer({ minimum: 10, default: 60_000, description: 'Longest delay between retries' }),
});
export type NotificationsConfigValues = Static<typeof NotificationsConfig>;
