import { Type, type Static } from 'typebox';
import { Card } from './payments.ts';
import { access, defineRoute } from './route.ts';

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

/** POST /v1/references/:reference/void — technical cancel by the merchant's reference (its Idempotency-Key). */
export const PspReferenceVoid = Type.Object({
  reference: Type.String(),
  /** The authorization made under the reference, now voided (or declined); null when there was none, and none can be made any more. */
  authorization: Type.Union([PspAuthorization, Type.Null()]),
});
export type PspReferenceVoid = Static<typeof PspReferenceVoid>;

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

export const PspIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export const PspReferenceParams = Type.Object({ reference: Type.String({ minLength: 1, maxLength: 255 }) });
export const PspAuthorizeHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ description: 'Unique per payment (payments sends the orderId); a retry with it returns the first result' })),
});
const pspAction = (action: 'capture' | 'void' | 'refund', summary: string) =>
  defineRoute({
    service: 'psp-sim', method: 'POST', path: `/v1/authorizations/:id/${action}`, access: access.public,
    summary, tags: ['authorizations'], params: PspIdParams, responses: { 200: PspAuthorization }, errors: [400, 404, 409, 503], idempotent: true,
  });

/**
 * psp-sim's routes. It stands in for an outside card network, so its routes
 * are "public" on its own network (no Bazaar credential); the gateway never
 * routes them (they are not under /api).
 */
export const routes = {
  authorize: defineRoute({
    service: 'psp-sim', method: 'POST', path: '/v1/authorizations', access: access.public,
    summary: 'Authorize an amount on a card; send an Idempotency-Key (a retry with it returns the first result)', tags: ['authorizations'],
    headers: PspAuthorizeHeaders, body: PspAuthorizeRequest, responses: { 200: PspAuthorization, 201: PspAuthorization }, errors: [400, 402, 422, 503], idempotent: true,
  }),
  get: defineRoute({
    service: 'psp-sim', method: 'GET', path: '/v1/authorizations/:id', access: access.public,
    summary: 'One authorization', tags: ['authorizations'],
    params: PspIdParams, responses: { 200: PspAuthorization }, errors: [400, 404, 503],
  }),
  voidReference: defineRoute({
    service: 'psp-sim', method: 'POST', path: '/v1/references/:reference/void', access: access.public,
    summary: 'Technical cancel: void whatever is (or would later be) authorized under this Idempotency-Key, for a merchant that never saw the answer', tags: ['authorizations'],
    params: PspReferenceParams, responses: { 200: PspReferenceVoid }, errors: [400, 409, 503], idempotent: true,
  }),
  capture: pspAction('capture', 'Capture an authorized amount (idempotent: money moves once)'),
  void: pspAction('void', 'Release an authorization that was not captured (idempotent)'),
  refund: pspAction('refund', 'Refund a captured authorization (idempotent)'),
  getConfig: defineRoute({
    service: 'psp-sim', method: 'GET', path: '/admin/config', access: access.public,
    summary: 'Current latency and failure rate', tags: ['admin'],
    responses: { 200: PspConfig }, errors: [],
  }),
  setConfig: defineRoute({
    service: 'psp-sim', method: 'PUT', path: '/admin/config', access: access.public,
    summary: 'Change latency and failure rate (applies to the next /v1 call)', tags: ['admin'],
    body: PspConfig, responses: { 200: PspConfig }, errors: [400],
  }),
  listAuthorizations: defineRoute({
    service: 'psp-sim', method: 'GET', path: '/admin/authorizations', access: access.public,
    summary: 'Every authorization (last four digits only), optionally those of one Idempotency-Key', tags: ['admin'],
    query: PspAuthorizationListQuery, responses: { 200: PspAuthorizationList }, errors: [400],
  }),
};
