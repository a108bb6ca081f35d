import { Type, type Static } from 'typebox';
import { ServiceCredentialConfig, configSchema } from '@bazaar/kit';
import { NatsConfig } from '@bazaar/messaging';

const url = (port: number, what: string) => Type.String({ pattern: '^https?://', default: `http://127.0.0.1:${port}`, description: what });

/** Orders configuration, from the environment. */
export const OrdersConfig = configSchema({
  ...ServiceCredentialConfig,
  // NATS_URL set: events travel over JetStream; unset: the embedded HTTP feed.
  ...NatsConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8085 }),
  ORDERS_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: "This service's own PostgreSQL database; wins over BAZAAR_POSTGRES_URL" })),
  IDENTITY_URL: url(8081, 'Where the JWKS is fetched from'),
  CART_URL: url(8084, 'The cart service (priced cart at checkout)'),
  INVENTORY_URL: url(8083, 'The inventory service (reservations)'),
  PAYMENTS_URL: url(8086, 'The payments service (authorize, capture, void)'),
  NOTIFICATIONS_URL: url(8088, "The notifications service (the emails sent about an order, on the back office's order page)"),
  SAGA_DEADLINE_MS: Type.Integer({ minimum: 100, default: 15_000, description: 'Time a checkout has to get its payment captured before it is compensated' }),
  CHECKOUT_WAIT_MS: Type.Integer({ minimum: 0, default: 1200, description: "How long POST /api/checkout waits for the saga before answering 202 (never past the caller's deadline budget)" }),
  ORDERS_SWEEP_MS: Type.Integer({ minimum: 5, default: 500, description: 'Interval of the loop that drives due sagas (retries, resumes)' }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 1000, description: 'Timeout of one call to cart, inventory or payments' }),
  CART_CLEAR_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 5000, default: 300, description: "Longest a confirmed checkout waits for the cart to take the ordered lines out before answering (never past the caller's deadline budget; 0: never waits, the event alone clears the cart)" }),
  RESERVATION_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 86_400, default: 600, description: 'How long inventory holds a reservation that is neither committed nor released' }),
  SAGA_LEASE_MS: Type.Integer({ minimum: 100, default: 5000, description: 'How long a saga stays with an orders instance that stopped renewing its lease (died) before another instance takes it over' }),
});
export type OrdersConfigValues = Static<typeof OrdersConfig>;
