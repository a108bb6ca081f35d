import { Type, type Static } from 'typebox';
import { configSchema } from '@bazaar/kit';

/** The mail sink's configuration, from the environment. */
export const MailSinkConfig = configSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8025, description: 'HTTP port (web view and API)' }),
  SMTP_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 2525, description: 'SMTP port mail is accepted on' }),
  MAIL_SINK_MAX_MESSAGES: Type.Integer({ minimum: 1, default: 1000, description: 'Messages kept in memory; the oldest go first' }),
  MAIL_SINK_MAX_BYTES: Type.Integer({ minimum: 1024, default: 10 * 1024 * 1024, description: 'Largest message accepted (SMTP SIZE)' }),
});
export type MailSinkConfigValues = Static<typeof MailSinkConfig>;
