// The real SMTP sink in a worker thread, so it keeps answering while the test freezes the main thread.
import { parentPort } from 'node:worker_threads';
import { testLogger } from '@bazaar/kit/testing';
import { createMailbox, startSmtpSink } from '@bazaar/mail-sink';

const mailbox = createMailbox({ max: 100 });
const smtp = await startSmtpSink({ mailbox, logger: testLogger(), maxBytes: 1024 * 1024, host: '127.0.0.1', port: 0 });
parentPort?.postMessage({ port: smtp.port });
parentPort?.on('message', (message: string) => {
  if (message === 'count') parentPort?.postMessage({ count: mailbox.size, messageIds: mailbox.list().map((m) => m.messageId) });
  if (message === 'close') void smtp.close().then(() => parentPort?.close());
});
