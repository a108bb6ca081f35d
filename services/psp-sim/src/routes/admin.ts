import type { ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { PspAuthorizationList, PspAuthorizationListQuery, PspConfig } from '@bazaar/contracts/psp';
import type { Ledger } from '../domain/ledger.ts';
import type { Behaviour } from '../domain/behaviour.ts';

/** Operator endpoints: the behaviour knobs at run time, and what the network has recorded. */
export function adminRoutes(deps: { ledger: Ledger; behaviour: Behaviour }) {
  return async (app: ServiceApp) => {
    app.get('/admin/config', { schema: { summary: 'Current latency and failure rate', tags: ['admin'], response: { 200: PspConfig } } }, async () => deps.behaviour.get());

    app.put(
      '/admin/config',
      { schema: { summary: 'Change latency and failure rate (applies to the next /v1 call)', tags: ['admin'], body: PspConfig, response: { 200: PspConfig, ...errorResponses(400) } } },
      async (request) => {
        const next = deps.behaviour.set(request.body);
        request.log.info({ config: next }, 'behaviour changed');
        return next;
      },
    );

    app.get(
      '/admin/authorizations',
      {
        schema: {
          summary: 'Every authorization (last four digits only), optionally those of one Idempotency-Key',
          tags: ['admin'],
          querystring: PspAuthorizationListQuery,
          response: { 200: PspAuthorizationList, ...errorResponses(400) },
        },
      },
      async (request) => ({ items: deps.ledger.list(request.query.idempotencyKey) }),
    );
  };
}
