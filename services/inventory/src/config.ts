import { Type, type Static } from 'typebox';
import { ServiceCredentialConfig, configSchema } from '@bazaar/kit';
import { FeedConsumerConfig, NatsConfig } from '@bazaar/messaging';

/** Inventory configuration, from the environment. */
export const InventoryConfig = configSchema({
  ...ServiceCredentialConfig,
  // NATS_URL set: events travel over JetStream; unset: the embedded HTTP feed.
  ...NatsConfig,
  ...FeedConsumerConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8083 }),
  INVENTORY_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: "This service's own PostgreSQL database; wins over BAZAAR_POSTGRES_URL" })),
  IDENTITY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8081', description: 'Where the JWKS is fetched from' }),
  CATALOG_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8082', description: 'The catalog, whose product events give new products stock' }),
  ORDERS_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8085', description: 'Where orders serves its event feed (refunds with restock put stock back)' }),
  INVENTORY_INITIAL_STOCK: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 100, description: 'Units a product gets when the catalog announces it' }),
  INVENTORY_SWEEP_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 1000, description: 'Interval of the sweep that releases expired reservations' }),
});
export type InventoryConfigValues = Static<typeof InventoryConfig>;
