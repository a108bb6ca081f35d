import { Type, type Static } from 'typebox';
import { configSchema } from '@bazaar/kit';

/** psp-sim configuration, from the environment. */
export const PspSimConfig = configSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8087 }),
  PSP_LATENCY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 0, description: 'Added to every /v1 call' }),
  PSP_FAILURE_RATE: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'Probability that a /v1 call answers 503 without doing anything' }),
});
export type PspSimConfigValues = Static<typeof PspSimConfig>;
