import { Type, type Static } from 'typebox';
import { ServiceCredentialConfig, configSchema } from '@bazaar/kit';
import { NatsConfig } from '@bazaar/messaging';

/** Catalog configuration, from the environment. */
export const CatalogConfig = configSchema({
  ...ServiceCredentialConfig,
  // NATS_URL set: events travel over JetStream; unset: the embedded HTTP feed.
  ...NatsConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8082 }),
  CATALOG_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: "This service's own PostgreSQL database; wins over BAZAAR_POSTGRES_URL" })),
  IDENTITY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8081', description: 'Where the JWKS is fetched from' }),
  CATALOG_SEED: Type.Boolean({ default: true, description: 'Seed the demo catalog on first start' }),
  CATALOG_CURRENCY: Type.String({ pattern: '^[A-Z]{3}$', default: 'EUR' }),
});
export type CatalogConfigValues = Static<typeof CatalogConfig>;
