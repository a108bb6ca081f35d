import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/psp';
import type { Ledger } from '../domain/ledger.ts';
import type { Behaviour } from '../domain/behaviour.ts';

/** Operator endpoints: the behaviour knobs at run time, and what the network has recorded. */
export function adminRoutes(deps: { ledger: Ledger; behaviour: Behaviour }) {
  return async (app: ServiceApp) => {
    serve(app, routes.getConfig, async () => deps.behaviour.get());
    serve(app, routes.setConfig, async (request) => {
      const next = deps.behaviour.set(request.body);
      request.log.info({ config: next }, 'behaviour changed');
      return next;
    });
    serve(app, routes.listAuthorizations, async (request) => ({ items: deps.ledger.list(request.query.idempotencyKey) }));
  };
}
