import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/psp';
import { errors } from '../errors.ts';
import type { Ledger } from '../domain/ledger.ts';
import type { Behaviour } from '../domain/behaviour.ts';

/** The network's API. Every call here first goes through the latency and failure knobs. */
export function authorizationRoutes(deps: { ledger: Ledger; behaviour: Behaviour }) {
  return async (app: ServiceApp) => {
    // Registered in this plugin only, so /admin and the health endpoints are never slowed or failed.
    // preHandler, not onRequest: the request has fully arrived, so like a real network the work is
    // done even when the caller gives up waiting (that is what makes a timed-out authorize worth retrying with its key).
    app.addHook('preHandler', async () => deps.behaviour.apply());

    serve(app, routes.authorize, async (request, reply) => {
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
        throw errors.idempotency_key_required('Send an Idempotency-Key header (1-255 characters), unique per payment; reuse it to retry safely.');
      }
      const { auth, created } = deps.ledger.authorize(key, request.body);
      return reply.code(created ? 201 : 200).send(auth);
    });
    serve(app, routes.get, async (request) => deps.ledger.get(request.params.id));
    serve(app, routes.voidReference, async (request) => ({ reference: request.params.reference, authorization: deps.ledger.voidReference(request.params.reference) }));
    for (const action of ['capture', 'void', 'refund'] as const) {
      serve(app, routes[action], async (request) => deps.ledger.act(request.params.id, action));
    }
  };
}
