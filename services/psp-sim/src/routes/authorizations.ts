import { Type } from 'typebox';
import type { ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { PspAuthorization, PspAuthorizeRequest } from '@bazaar/contracts/psp';
import { errors } from '../errors.ts';
import type { Action, Ledger } from '../domain/ledger.ts';
import type { Behaviour } from '../domain/behaviour.ts';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const ACTIONS: { action: Action; summary: string }[] = [
  { action: 'capture', summary: 'Capture an authorized amount (idempotent: money moves once)' },
  { action: 'void', summary: 'Release an authorization that was not captured (idempotent)' },
  { action: 'refund', summary: 'Refund a captured authorization (idempotent)' },
];

/** The network's API. Every call here first goes through the latency and failure knobs. */
export function authorizationRoutes(deps: { ledger: Ledger; behaviour: Behaviour }) {
  return async (app: ServiceApp) => {
    // Registered in this plugin only, so /admin and the health endpoints are never slowed or failed.
    // preHandler, not onRequest: the request has fully arrived, so like a real network the work is
    // done even when the caller gives up waiting (that is what makes a timed-out authorize worth retrying with its key).
    app.addHook('preHandler', async () => deps.behaviour.apply());

    app.post(
      '/v1/authorizations',
      {
        schema: {
          summary: 'Authorize an amount on a card; send an Idempotency-Key (a retry with it returns the first result)',
          tags: ['authorizations'],
          body: PspAuthorizeRequest,
          response: { 200: PspAuthorization, 201: PspAuthorization, ...errorResponses(400, 402, 422, 503) },
        },
      },
      async (request, reply) => {
        const key = request.headers['idempotency-key'];
        if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
          throw errors.idempotency_key_required('Send an Idempotency-Key header (1-255 characters), unique per payment; reuse it to retry safely.');
        }
        const { auth, created } = deps.ledger.authorize(key, request.body);
        return reply.code(created ? 201 : 200).send(auth);
      },
    );

    app.get(
      '/v1/authorizations/:id',
      { schema: { summary: 'One authorization', tags: ['authorizations'], params: IdParams, response: { 200: PspAuthorization, ...errorResponses(404, 503) } } },
      async (request) => deps.ledger.get(request.params.id),
    );

    for (const { action, summary } of ACTIONS) {
      app.post(
        `/v1/authorizations/:id/${action}`,
        { schema: { summary, tags: ['authorizations'], params: IdParams, response: { 200: PspAuthorization, ...errorResponses(404, 409, 503) } } },
        async (request) => deps.ledger.act(request.params.id, action),
      );
    }
  };
}
