import { Type, type Static } from 'typebox';
import { ServiceCredentialConfig, configSchema } from '@bazaar/kit';
import { FeedConsumerConfig, NatsConfig } from '@bazaar/messaging';

const Url = (fallback: string, description: string) => Type.String({ pattern: '^https?://', default: fallback, description });

/** Cart configuration, from the environment. */
export const CartConfig = configSchema({
  ...ServiceCredentialConfig,
  // NATS_URL set: orders' events arrive over JetStream; unset: the embedded HTTP feed.
  ...NatsConfig,
  ...FeedConsumerConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8084 }),
  CART_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: "This service's own PostgreSQL database; wins over BAZAAR_POSTGRES_URL" })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'Keep carts in this Redis (the inbox and feed cursor stay in the relational store)' })),
  REDIS_KEY_PREFIX: Type.String({ pattern: '^[^\\s{}]+$', maxLength: 100, default: 'bazaar:cart:', description: 'Start of every cart key in Redis (no spaces or braces)' }),
  CART_TTL_DAYS: Type.Integer({ minimum: 1, maximum: 3650, default: 30, description: 'A cart in Redis expires this many days after its last change' }),
  IDENTITY_URL: Url('http://127.0.0.1:8081', 'Where the JWKS is fetched from'),
  CATALOG_URL: Url('http://127.0.0.1:8082', 'Where product names and prices come from'),
  ORDERS_URL: Url('http://127.0.0.1:8085', "Where orders' event feed is read from"),
  CART_CURRENCY: Type.String({ pattern: '^[A-Z]{3}$', default: 'EUR', description: "The currency of cart totals: the catalog's" }),
  CATALOG_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 10_000, default: 800, description: 'Per-attempt timeout of a catalog call (one retry)' }),
});
export type CartConfigValues = Static<typeof CartConfig>;
