import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/notifications';
import type { EmailRepository } from '../store/index.ts';
import { errors } from '../errors.ts';

/** Internal: what was sent, for tests and operators. */
export function emailRoutes(deps: { emails: EmailRepository }) {
  return async (app: ServiceApp) => {
    serve(app, routes.listEmails, async (request) => {
      const { orderId, status, limit } = request.query;
      return { emails: await deps.emails.list({ limit, ...(orderId === undefined ? {} : { orderId }), ...(status === undefined ? {} : { status }) }) };
    });
    serve(app, routes.getEmail, async (request) => {
      const email = await deps.emails.get(request.params.id);
      if (!email) throw errors.EMAIL_NOT_FOUND(`No email for event ${request.params.id}.`);
      return email;
    });
  };
}
