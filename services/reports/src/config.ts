import { Type, type Static } from 'typebox';
import { ServiceCredentialConfig, configSchema } from '@bazaar/kit';
import { feedConsumerConfig } from '@bazaar/messaging';

/** Reports configuration, from the environment. */
export const ReportsConfig = configSchema({
  ...ServiceCredentialConfig,
  // A second, not a quarter: a DuckDB transaction costs ~10 ms of CPU whatever it carries, so the read model takes
  // its pages four times fuller and the sales lag by up to a second more (docs/performance.md).
  ...feedConsumerConfig(1000),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }),
  IDENTITY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8081', description: 'Where the JWKS is fetched from' }),
  ORDERS_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8085', description: 'Where orders serves its event feed' }),
  PAYMENTS_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8086', description: 'Where payments serves its event feed' }),
  REPORTS_CURRENCY: Type.String({ pattern: '^[A-Z]{3}$', default: 'EUR', description: 'Currency of a report when the query names none' }),
  REPORTS_FEED_WAIT_MS: Type.Integer({ minimum: 0, maximum: 25_000, default: 20_000, description: 'Long-poll wait on the event feeds' }),
});
export type ReportsConfigValues = Static<typeof ReportsConfig>;
