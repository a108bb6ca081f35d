import { Type, type Static } from 'typebox';
import { access, defineRoute } from './route.ts';

/**
 * Contract of the mail sink (tools/mail-sink), the local SMTP server of the
 * embedded default. A development tool, never behind the gateway: its routes
 * are not in `serviceRoutes`.
 */

export const MailMessage = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
  from: Type.String(),
  to: Type.Array(Type.String()),
  subject: Type.String(),
  text: Type.String(),
  html: Type.Optional(Type.String()),
  receivedAt: Type.String({ format: 'date-time' }),
  size: Type.Integer(),
});
export type MailMessage = Static<typeof MailMessage>;

export const MailMessageList = Type.Object({ messages: Type.Array(MailMessage) });
export type MailMessageList = Static<typeof MailMessageList>;

const ListQuery = Type.Object({ to: Type.Optional(Type.String({ maxLength: 320, description: 'Only messages delivered to this address' })) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** The mail sink's JSON API. */
export const routes = {
  listMessages: defineRoute({
    service: 'mail-sink', method: 'GET', path: '/api/messages', access: access.public,
    summary: 'Received messages, newest first', tags: ['messages'],
    query: ListQuery, responses: { 200: MailMessageList }, errors: [400],
  }),
  getMessage: defineRoute({
    service: 'mail-sink', method: 'GET', path: '/api/messages/:id', access: access.public,
    summary: 'One received message', tags: ['messages'],
    params: IdParams, responses: { 200: MailMessage }, errors: [400, 404],
  }),
  clearMessages: defineRoute({
    service: 'mail-sink', method: 'DELETE', path: '/api/messages', access: access.public,
    summary: 'Forget every received message', tags: ['messages'],
    responses: { 204: Type.Null({ description: 'No content' }) }, errors: [],
  }),
};
