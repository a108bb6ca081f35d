import { Type, type Static } from 'typebox';
import { configSchema } from '@bazaar/kit';

/** Storefront configuration, from the environment. */
export const StorefrontConfig = configSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8091 }),
  GATEWAY_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8080',
    description: "The gateway the storefront calls the shop API through, with the shopper's own token (comma-separated for several instances)",
  }),
  STOREFRONT_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: "This service's own PostgreSQL database (sessions, image records and, there, image bytes); wins over BAZAAR_POSTGRES_URL" })),
  SESSION_TTL_SECONDS: Type.Integer({ minimum: 300, maximum: 31_536_000, default: 2_592_000, description: 'How long a signed-in session lasts without being used (capped by the refresh token)' }),
  COOKIE_SECRET: Type.String({ minLength: 32, default: 'bazaar-storefront-development-cookie-secret', description: 'Signs the CSRF cookie; set a random value of 32+ characters in production' }),
  IMAGE_MAX_BYTES: Type.Integer({ minimum: 10_000, maximum: 50_000_000, default: 5_000_000, description: 'Largest image an admin may upload' }),
  IMAGE_MAX_PIXELS: Type.Integer({ minimum: 100, maximum: 4000, default: 1200, description: 'Uploaded images are resized to fit this many pixels on their longer side' }),
  LOW_STOCK_THRESHOLD: Type.Integer({ minimum: 0, maximum: 1000, default: 5, description: 'Stock at or below this shows in the back office low-stock list and as "only N left" on product pages' }),
  ORDER_WAIT_MS: Type.Integer({ minimum: 0, maximum: 30_000, default: 4000, description: 'How long an order page waits for a pending checkout to finish before rendering (pages without JavaScript)' }),
});
export type StorefrontConfigValues = Static<typeof StorefrontConfig>;
