// The sink end to end: real mail sent with nodemailer over SMTP, read back over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from 'nodemailer';
import { testLogger } from '@bazaar/kit/testing';
import { buildApp } from '../src/app.ts';
import { createMailbox } from '../src/mailbox.ts';
import { startSmtpSink } from '../src/smtp.ts';

async function startSink(opts: { max?: number; maxBytes?: number } = {}) {
  const mailbox = createMailbox({ max: opts.max ?? 1000 });
  const smtp = await startSmtpSink({ mailbox, logger: testLogger(), maxBytes: opts.maxBytes ?? 10 * 1024 * 1024, host: '127.0.0.1', port: 0 });
  const app = buildApp({
    mailbox,
    logger: testLogger(),
    defaultMetrics: false,
    smtpReady: () => {
      if (!smtp.listening) throw new Error('SMTP server is not listening');
    },
  });
  const mailer = createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, auth: { user: 'anyone', pass: 'anything' } });
  const close = async () => {
    mailer.close();
    await smtp.close();
    await app.close();
  };
  return { app, smtp, mailer, close };
}

interface Message {
  id: string;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
  receivedAt: string;
}

test('a mail sent over SMTP is listed, newest first, and readable by id', async () => {
  const { app, mailer, close } = await startSink();
  await mailer.sendMail({ from: 'Bazaar <orders@bazaar.local>', to: 'ada@example.test', subject: 'First', text: 'one' });
  const info = await mailer.sendMail({
    from: 'Bazaar <orders@bazaar.local>',
    to: 'Ada <ada@example.test>',
    bcc: 'audit@example.test',
    subject: 'Your order is confirmed — €25.99',
    text: 'Total: €25.99',
    html: '<p>Total: <strong>€25.99</strong></p>',
    messageId: '<order-confirmed.evt-1@bazaar.local>',
  });
  assert.match(info.response, /^250 /);

  const list = (await app.inject({ url: '/api/messages' })).json() as { messages: Message[] };
  assert.deepEqual(list.messages.map((m) => m.subject), ['Your order is confirmed — €25.99', 'First']);
  const latest = list.messages[0] as Message;
  assert.equal(latest.messageId, '<order-confirmed.evt-1@bazaar.local>');
  assert.match(latest.from, /orders@bazaar\.local/);
  assert.deepEqual(latest.to, ['ada@example.test', 'audit@example.test'], 'envelope recipients, Bcc included');
  assert.equal(latest.text.trim(), 'Total: €25.99');
  assert.equal(latest.html, '<p>Total: <strong>€25.99</strong></p>');
  assert.ok(Date.parse(latest.receivedAt) > 0);

  const one = await app.inject({ url: `/api/messages/${latest.id}` });
  assert.equal(one.statusCode, 200);
  assert.deepEqual(one.json(), latest);
  assert.equal((list.messages[1] as Message).html, undefined, 'a text-only mail has no html');
  await close();
});

test('?to= keeps the messages delivered to that address, case-insensitively', async () => {
  const { app, mailer, close } = await startSink();
  await mailer.sendMail({ from: 'shop@bazaar.local', to: 'ada@example.test', subject: 'for ada', text: 'a' });
  await mailer.sendMail({ from: 'shop@bazaar.local', to: 'bob@example.test', subject: 'for bob', text: 'b' });
  const res = (await app.inject({ url: '/api/messages?to=ADA@example.test' })).json() as { messages: Message[] };
  assert.deepEqual(res.messages.map((m) => m.subject), ['for ada']);
  const none = (await app.inject({ url: '/api/messages?to=carol@example.test' })).json() as { messages: Message[] };
  assert.deepEqual(none.messages, []);
  await close();
});

test('DELETE /api/messages clears the sink; an unknown id is a 404 problem', async () => {
  const { app, mailer, close } = await startSink();
  await mailer.sendMail({ from: 'shop@bazaar.local', to: 'ada@example.test', subject: 'x', text: 'x' });
  assert.equal((await app.inject({ method: 'DELETE', url: '/api/messages' })).statusCode, 204);
  assert.deepEqual((await app.inject({ url: '/api/messages' })).json(), { messages: [] });
  const missing = await app.inject({ url: '/api/messages/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(missing.json().code, 'MESSAGE_NOT_FOUND');
  await close();
});

test('the sink keeps only the newest messages past its bound', async () => {
  const { app, mailer, close } = await startSink({ max: 2 });
  for (const subject of ['one', 'two', 'three']) await mailer.sendMail({ from: 'shop@bazaar.local', to: 'ada@example.test', subject, text: subject });
  const res = (await app.inject({ url: '/api/messages' })).json() as { messages: Message[] };
  assert.deepEqual(res.messages.map((m) => m.subject), ['three', 'two']);
  await close();
});

test('a message over the size limit is refused with 552 and not kept', async () => {
  const { app, mailer, close } = await startSink({ maxBytes: 2048 });
  await assert.rejects(
    mailer.sendMail({ from: 'shop@bazaar.local', to: 'ada@example.test', subject: 'big', text: 'x'.repeat(10_000) }),
    (error: { responseCode?: number }) => error.responseCode === 552,
  );
  assert.deepEqual((await app.inject({ url: '/api/messages' })).json(), { messages: [] });
  await close();
});

test('sending without authentication is accepted too', async () => {
  const { app, smtp, close } = await startSink();
  const anonymous = createTransport({ host: '127.0.0.1', port: smtp.port, secure: false });
  await anonymous.sendMail({ from: 'shop@bazaar.local', to: 'ada@example.test', subject: 'anon', text: 'hi' });
  anonymous.close();
  const res = (await app.inject({ url: '/api/messages' })).json() as { messages: Message[] };
  assert.equal(res.messages[0]?.subject, 'anon');
  await close();
});

test('the web page lists messages and shows one, HTML bodies sandboxed and escaped', async () => {
  const { app, mailer, close } = await startSink();
  await mailer.sendMail({ from: 'shop@bazaar.local', to: 'ada@example.test', subject: 'Hello <b>there</b>', text: 'plain', html: '<p onclick="x()">hi</p><script>alert(1)</script>' });
  const page = await app.inject({ url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.body, /Hello &lt;b&gt;there&lt;\/b&gt;/);
  assert.match(page.body, /ada@example\.test/);
  assert.doesNotMatch(page.body, /<script>alert/);

  const { messages } = (await app.inject({ url: '/api/messages' })).json() as { messages: Message[] };
  const view = await app.inject({ url: `/?id=${messages[0]?.id}` });
  assert.match(view.body, /<iframe sandbox="" srcdoc="&lt;p onclick=&quot;x\(\)&quot;&gt;hi&lt;\/p&gt;&lt;script&gt;/);
  assert.match(view.body, /<pre>plain/);
  await close();
});

test('health and readiness: not ready once SMTP stops listening', async () => {
  const { app, smtp, close } = await startSink();
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  await smtp.close();
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.equal(ready.json().checks.smtp, 'SMTP server is not listening');
  await close();
});

test('the OpenAPI document lists the JSON API it serves (issue 11: it had no paths)', async () => {
  const { app, close } = await startSink();
  try {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/messages', '/api/messages/{id}']);
    assert.deepEqual(Object.keys(doc.paths['/api/messages'] ?? {}).sort(), ['delete', 'get']);
  } finally {
    await close();
  }
});
