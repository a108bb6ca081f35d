import { createLogger, loadConfig, main, startService } from '@bazaar/kit';
import { MailSinkConfig } from './config.ts';
import { createMailbox } from './mailbox.ts';
import { startSmtpSink } from './smtp.ts';
import { buildApp } from './app.ts';

await main(async () => {
  const config = loadConfig(MailSinkConfig);
  const logger = createLogger({ service: 'mail-sink', level: config.LOG_LEVEL });
  const mailbox = createMailbox({ max: config.MAIL_SINK_MAX_MESSAGES });
  const smtp = await startSmtpSink({ mailbox, logger, maxBytes: config.MAIL_SINK_MAX_BYTES, host: config.HOST, port: config.SMTP_PORT }).catch((error: unknown) => {
    const hint = (error as { code?: string }).code === 'EADDRINUSE' ? ` (port ${config.SMTP_PORT} is taken: set SMTP_PORT to a free one)` : '';
    throw new Error(`cannot listen for SMTP on ${config.HOST}:${config.SMTP_PORT}${hint}`, { cause: error });
  });
  logger.info({ smtp: `${config.HOST}:${smtp.port}` }, 'accepting mail over SMTP');
  const app = buildApp({
    mailbox,
    logger,
    smtpReady: () => {
      if (!smtp.listening) throw new Error('SMTP server is not listening');
    },
  });
  app.addHook('onClose', async () => {
    await smtp.close();
  });
  await startService({ app, config, logger });
});
