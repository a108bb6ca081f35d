// Issue 12, defect 4: duplicate emails (same Message-ID). Two windows closed here:
// a freeze during the SMTP exchange, and a database restart between the server's
// 250 and recording it. (kill -9 right after the 250 cannot be closed by the
// sender: see the README, "Duplicates".)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { testLogger, waitFor } from '@bazaar/kit/testing';
import { startPrivatePostgres } from '@bazaar/store/private-server';
import { createSender } from '../src/sender.ts';
import { smtpTransport, type MailTransport } from '../src/upstream/smtp.ts';
import { emailRepository, openNotificationsStore } from '../src/store/index.ts';
import { orderConfirmedEmail } from '../src/domain/emails.ts';
import { confirmedOrder, startSink } from './helpers.ts';

const draft = (eventId: string) => orderConfirmedEmail({ eventId, data: confirmedOrder(), domain: 'bazaar.local' });

/** The sink in a worker thread: it answers while the main thread is frozen. */
async function sinkInWorker() {
  const worker = new Worker(new URL('./sink-worker.ts', import.meta.url));
  const ask = <T>(message: string) => new Promise<T>((resolve) => worker.once('message', resolve).postMessage(message));
  const { port } = await new Promise<{ port: number }>((resolve) => worker.once('message', resolve));
  return {
    url: `smtp://127.0.0.1:${port}`,
    count: () => ask<{ count: number; messageIds: string[] }>('count'),
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

test('frozen right after sending DATA, past the socket timeout: the server 250 already received counts, the email goes out once', { timeout: 60_000 }, async (t) => {
  const sink = await sinkInWorker();
  t.after(() => sink.close());
  const store = await openNotificationsStore({ dataDir: '', inMemory: true });
  t.after(() => store.close());
  const emails = emailRepository(store.db);
  await emails.insert(draft('evt-freeze'), new Date().toISOString());

  // Freeze the whole process (as SIGSTOP does) for longer than the socket timeout, just after the message's final dot.
  const write = Socket.prototype.write;
  let froze = false;
  Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    const result = write.apply(this, args);
    const chunk = args[0];
    if (!froze && (typeof chunk === 'string' || Buffer.isBuffer(chunk)) && /^(\r\n)?\.\r\n$/.test(chunk.toString())) {
      froze = true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
    }
    return result;
  } as typeof Socket.prototype.write;
  t.after(() => {
    Socket.prototype.write = write;
  });

  const sender = createSender({ emails, transport: smtpTransport(sink.url, { socketTimeoutMs: 500 }), from: 'Bazaar <orders@bazaar.local>', logger: testLogger(), intervalMs: 50, retry: { baseMs: 20, maxMs: 50 } });
  t.after(() => sender.stop());
  await sender.runOnce();
  assert.ok(froze, 'the process froze during the exchange');
  Socket.prototype.write = write;
  const record = await emails.get('evt-freeze');
  assert.equal(record?.status, 'sent', `recorded as sent, not failed (${record?.lastError ?? ''})`);
  await sender.runOnce();
  assert.equal((await sink.count()).count, 1, 'the SMTP server received it once');
});

test('the database restarts between the 250 and recording it: the sender keeps trying to record, the email goes out once', { timeout: 120_000 }, async (t) => {
  const pg = await startPrivatePostgres({ name: 'notifications' });
  t.after(() => pg.destroy());
  const sink = await startSink();
  t.after(() => sink.smtp.close());
  const store = await openNotificationsStore({ dataDir: '', postgres: { url: pg.url.replace(/\/postgres$/, '/bazaar_notifications'), poolSize: 2 } });
  t.after(() => store.close());
  const emails = emailRepository(store.db);
  await emails.insert(draft('evt-restart'), new Date().toISOString());

  // A real transport; the database goes away the moment the server has accepted the message, and comes back a moment later.
  const real = smtpTransport(sink.url);
  let restarted: Promise<void> | undefined;
  const transport: MailTransport = {
    async send(mail) {
      const reply = await real.send(mail);
      await pg.stop();
      restarted = new Promise((resolve) => setTimeout(resolve, 500)).then(() => pg.start());
      return reply;
    },
    close: () => real.close(),
  };
  const leaseMs = 20_000;
  const sender = createSender({ emails, transport, from: 'Bazaar <orders@bazaar.local>', logger: testLogger(), intervalMs: 50, retry: { baseMs: 20, maxMs: 50 }, leaseMs });
  t.after(() => sender.stop());
  sender.start();
  await waitFor('the email recorded as sent after the database came back', async () => {
    try {
      return (await emails.get('evt-restart'))?.status === 'sent';
    } catch {
      return false;
    }
  }, 60_000);
  await restarted;
  await sender.runOnce();
  assert.equal(sink.mailbox.size, 1);
  assert.equal((await emails.get('evt-restart'))?.attempts, 1);
});
