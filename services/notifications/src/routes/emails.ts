import { Type } from 'typebox';
import { requireService, type ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import type { EmailRepository } from '../store/index.ts';
import { errors } from '../errors.ts';

/** An email record: what was (or is to be) sent, and how sending went. */
export const Email = Type.Object({
  id: Type.String({ description: 'The id of the event that caused the email' }),
  kind: Type.Union([Type.Literal('order-confirmed'), Type.Literal('order-cancelled')]),
  orderId: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  messageId: Type.String({ description: 'Derived from the event id: a resend carries the same Message-ID' }),
  status: Type.Union([Type.Literal('pending'), Type.Literal('sent')]),
  attempts: Type.Integer({ minimum: 0, description: 'SMTP attempts so far' }),
  nextAttemptAt: Type.String({ description: 'When a pending email is next tried' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
  smtpResponse: Type.Union([Type.String(), Type.Null()], { description: "The SMTP server's reply when it accepted the message" }),
  createdAt: Type.String(),
  sentAt: Type.Union([Type.String(), Type.Null()]),
});

const EmailList = Type.Object({ emails: Type.Array(Email) });

const ListQuery = Type.Object(
  {
    orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('sent')])),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);

const EmailParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

/** Internal: what was sent, for tests and operators. */
export function emailRoutes(deps: { emails: EmailRepository; serviceToken: string }) {
  return async (app: ServiceApp) => {
    const preHandler = requireService(deps.serviceToken);

    app.get(
      '/internal/emails',
      { preHandler, schema: { summary: 'Email records, newest first', tags: ['internal'], querystring: ListQuery, response: { 200: EmailList, ...errorResponses(400, 401, 403) } } },
      async (request) => {
        const { orderId, status, limit } = request.query;
        return { emails: await deps.emails.list({ limit, ...(orderId === undefined ? {} : { orderId }), ...(status === undefined ? {} : { status }) }) };
      },
    );

    app.get(
      '/internal/emails/:id',
      { preHandler, schema: { summary: 'One email record', tags: ['internal'], params: EmailParams, response: { 200: Email, ...errorResponses(401, 403, 404) } } },
      async (request) => {
        const email = await deps.emails.get(request.params.id);
        if (!email) throw errors.EMAIL_NOT_FOUND(`No email for event ${request.params.id}.`);
        return email;
      },
    );
  };
}
