import { Type } from 'typebox';
import { createServiceApp, serve, type Logger, type ReadinessCheck, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/mail-sink';
import type { Mailbox } from './mailbox.ts';
import { errors } from './errors.ts';
import { renderPage } from './page.ts';

const PageQuery = Type.Object({ id: Type.Optional(Type.String({ maxLength: 100 })) });

export interface MailSinkDeps {
  mailbox: Mailbox;
  logger: Logger;
  /** Throws unless the SMTP side is accepting mail. */
  smtpReady: ReadinessCheck;
  defaultMetrics?: boolean;
}

/** The sink's HTTP side: the web view and a JSON API over the received mail. */
export function buildApp(deps: MailSinkDeps): ServiceApp {
  const app = createServiceApp({
    name: 'mail-sink',
    description: 'Local SMTP sink: what Bazaar sent, readable over HTTP',
    logger: deps.logger,
    readiness: { smtp: deps.smtpReady },
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  const { mailbox } = deps;

  // Registered as a plugin, after the kit's OpenAPI plugin: a route added to the root app directly is added
  // before that plugin loads and never reaches the document (issue 11: the sink's document had no paths).
  app.register(async (scope: ServiceApp) => {
    scope.get('/', { schema: { hide: true, querystring: PageQuery } }, async (request, reply) => {
      const id = request.query.id;
      return reply.type('text/html; charset=utf-8').send(renderPage(mailbox.list(), id === undefined ? undefined : mailbox.get(id)));
    });

    serve(scope, routes.listMessages, async (request) => ({ messages: mailbox.list(request.query.to === undefined ? {} : { to: request.query.to }) }));
    serve(scope, routes.getMessage, async (request) => {
      const message = mailbox.get(request.params.id);
      if (!message) throw errors.MESSAGE_NOT_FOUND(`No message ${request.params.id}; it may have been cleared or pushed out by newer mail.`);
      return message;
    });
    serve(scope, routes.clearMessages, async (_request, reply) => {
      mailbox.clear();
      return reply.code(204).send();
    });
  });

  return app;
}
