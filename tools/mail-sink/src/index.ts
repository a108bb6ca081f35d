// For tests elsewhere in the repository that need a real SMTP server to send to.
export { createMailbox, type Mailbox, type StoredMessage } from './mailbox.ts';
export { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp.ts';
export { buildApp } from './app.ts';
