import { Type, type Static } from 'typebox';
import { OPERATOR, access, defineRoute } from './route.ts';

/** Contract of the notifications service: internal only (service credential), what was sent. */

/** An email record: what was (or is to be) sent, and how sending went. */
export const Email = Type.Object({
  id: Type.String({ description: 'The id of the event that caused the email' }),
  kind: Type.Union([Type.Literal('order-confirmed'), Type.Literal('order-cancelled'), Type.Literal('order-shipped'), Type.Literal('order-refunded')]),
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
export type Email = Static<typeof Email>;

export const EmailList = Type.Object({ emails: Type.Array(Email) });
export type EmailList = Static<typeof EmailList>;

export const EmailListQuery = Type.Object(
  {
    orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('sent')])),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);
export type EmailListQuery = Static<typeof EmailListQuery>;

export const EmailParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

/** notifications' routes: operators (and tests) read what was sent; orders reads an order's emails for the back office. */
export const routes = {
  listEmails: defineRoute({
    service: 'notifications', method: 'GET', path: '/internal/emails', access: access.service(OPERATOR, 'orders'),
    summary: 'Email records, newest first', tags: ['internal'],
    query: EmailListQuery, responses: { 200: EmailList }, errors: [400, 401, 403],
  }),
  getEmail: defineRoute({
    service: 'notifications', method: 'GET', path: '/internal/emails/:id', access: access.service(OPERATOR),
    summary: 'One email record', tags: ['internal'],
    params: EmailParams, responses: { 200: Email }, errors: [400, 401, 403, 404],
  }),
};
