import { Type, type Static } from 'typebox';
import { Card } from './payments.ts';

/** Contract of psp-sim, the stand-in card network (called by payments only). */

/** POST /v1/authorizations with header Idempotency-Key. */
export const PspAuthorizeRequest = Type.Object(
  { amount: Type.Integer({ minimum: 1 }), currency: Type.String({ pattern: '^[A-Z]{3}$' }), card: Card },
  { additionalProperties: false },
);
export type PspAuthorizeRequest = Static<typeof PspAuthorizeRequest>;

export const PspAuthorization = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('authorized'), Type.Literal('declined'), Type.Literal('captured'), Type.Literal('voided'), Type.Literal('refunded')]),
  amount: Type.Integer(),
  currency: Type.String(),
  last4: Type.String(),
  declineCode: Type.Optional(Type.String()),
  /** How many times capture actually moved money (always 0 or 1). */
  captures: Type.Integer(),
});
export type PspAuthorization = Static<typeof PspAuthorization>;

/** GET/PUT /admin/config — behaviour knobs for resilience experiments. */
export const PspConfig = Type.Object(
  {
    latencyMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
    failureRate: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);
export type PspConfig = Static<typeof PspConfig>;

/** Test cards, in the style users know. */
export const TEST_CARDS = {
  approves: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
} as const;

/** GET /admin/authorizations?idempotencyKey= — one authorization as the simulator keeps it (for tests and invariant checks). */
export const PspAuthorizationRecord = Type.Object({
  ...PspAuthorization.properties,
  /** The Idempotency-Key it was created under (payments sends the orderId). */
  idempotencyKey: Type.String(),
  createdAt: Type.String(),
});
export type PspAuthorizationRecord = Static<typeof PspAuthorizationRecord>;

export const PspAuthorizationList = Type.Object({ items: Type.Array(PspAuthorizationRecord) });
export type PspAuthorizationList = Static<typeof PspAuthorizationList>;

export const PspAuthorizationListQuery = Type.Object(
  { idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) },
  { additionalProperties: false },
);
