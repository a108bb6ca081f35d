import { Type, type Static } from 'typebox';
import { ServiceCredentialConfig, configSchema } from '@bazaar/kit';
import { NatsConfig } from '@bazaar/messaging';

/** Payments configuration, from the environment. */
export const PaymentsConfig = configSchema({
  ...ServiceCredentialConfig,
  // NATS_URL set: events travel over JetStream; unset: the embedded HTTP feed.
  ...NatsConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8086 }),
  PAYMENTS_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: "This service's own PostgreSQL database; wins over BAZAAR_POSTGRES_URL" })),
  PSP_SIM_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8087', description: 'The payment service provider (psp-sim)' }),
  PSP_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 60_000, default: 1500, description: 'Per-attempt timeout of a PSP call' }),
  PAYMENTS_RECONCILE_INTERVAL_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'How often the reconciliation sweep looks for intents whose PSP answer was never recorded' }),
  PAYMENTS_RECONCILE_AFTER_MS: Type.Integer({
    minimum: 1000,
    default: 60_000,
    description: "Age after which a PENDING intent is voided at the PSP by the sweep; keep it above orders' SAGA_DEADLINE_MS plus a call's timeout",
  }),
});
export type PaymentsConfigValues = Static<typeof PaymentsConfig>;
