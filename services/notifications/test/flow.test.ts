// orders' events → queued emails → a real SMTP server. A real outbox feed
// stands in for orders; tools/mail-sink's SMTP server receives the mail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, waitFor } from '@bazaar/kit/testing';
import { cancelledOrder, confirmedOrder, startNotifications, startOrdersProducer, startSink } from './helpers.ts';

test('an order-confirmed event sends exactly one email naming the order, its items and the total', async () => {
  const orders = await startOrdersProducer();
  const sink = await startSink();
  const svc = await startNotifications({ ordersUrl: orders.url, smtpUrl: sink.url });
  const order = confirmedOrder();
  const eventId = await orders.publish('orders.order-confirmed', order);

  const [mail] = await waitFor('the confirmation email in the sink', () => sink.mailbox.size > 0 && sink.mailbox.list());
  assert.ok(mail);
  assert.deepEqual(mail.to, ['ada@example.test']);
  assert.match(mail.from, /orders@bazaar\.local/);
  assert.equal(mail.subject, 'Your Bazaar order 3f2a9c1e is confirmed');
  assert.equal(mail.messageId, `<order-confirmed.${eventId}@bazaar.local>`);
  assert.match(mail.text, /3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f/);
  assert.match(mail.text, /Desk Lamp × 2: €51\.98/);
  assert.match(mail.text, /Fountain Pen × 1: €1\.50/);
  assert.match(mail.text, /Total: €53\.48/);
  assert.match(mail.html ?? '', /Desk Lamp<\/td>.*× 2<\/td>.*€51\.98/);
  assert.match(mail.html ?? '', /€53\.48/);

  const records = await waitFor('the email recorded as sent', async () => {
    const list = await svc.emails(`?orderId=${order.orderId}`);
    return list[0]?.status === 'sent' && list;
  });
  assert.equal(records.length, 1);
  assert.equal(records[0]?.id, eventId);
  assert.equal(records[0]?.kind, 'order-confirmed');
  assert.equal(records[0]?.attempts, 1);
  assert.match(records[0]?.smtpResponse ?? '', /^250 /);
  assert.ok(records[0]?.sentAt);

  // Another pass of the sender finds nothing to send.
  await svc.workers.sender.runOnce();
  assert.equal(sink.mailbox.size, 1);
  await svc.stop();
  await svc.store.close();
  await sink.smtp.close();
  await orders.close();
});

test('the same event delivered again (consumer restarted from position 0) sends nothing more', async () => {
  const orders = await startOrdersProducer();
  const sink = await startSink();
  const first = await startNotifications({ ordersUrl: orders.url, smtpUrl: sink.url });
  await orders.publish('orders.order-confirmed', confirmedOrder());
  await waitFor('the first email', () => sink.mailbox.size === 1);
  await waitFor('the email recorded as sent', async () => (await first.emails())[0]?.status === 'sent');
  await first.stop();

  // Forget the position: the feed hands every event over again.
  await first.store.db.deleteFrom('event_cursors').execute();
  const second = await startNotifications({ ordersUrl: orders.url, smtpUrl: sink.url, store: first.store });
  const laterId = await orders.publish('orders.order-cancelled', cancelledOrder());
  // The later event being handled proves the earlier one was redelivered first (the feed is in order).
  await waitFor('the later event handled', async () => (await second.emails()).some((e) => e.id === laterId));
  await second.workers.sender.runOnce();

  const emails = await second.emails();
  assert.equal(emails.length, 2);
  assert.ok(emails.every((e) => e.status === 'sent'));
  assert.deepEqual(
    sink.mailbox.list().map((m) => m.subject).sort(),
    ['Your Bazaar order 3f2a9c1e is confirmed', 'Your Bazaar order 9b8c7d6e was cancelled'],
  );
  await second.stop();
  await second.store.close();
  await sink.smtp.close();
  await orders.close();
});

test('with the SMTP server down the email waits, pending, and goes out once when the server is up', async () => {
  const orders = await startOrdersProducer();
  const smtpPort = await freePort();
  const svc = await startNotifications({ ordersUrl: orders.url, smtpUrl: `smtp://127.0.0.1:${smtpPort}` });
  const eventId = await orders.publish('orders.order-confirmed', confirmedOrder());

  const failing = await waitFor('two failed attempts', async () => {
    const [email] = await svc.emails();
    return email && email.attempts >= 2 && email;
  });
  assert.equal(failing.status, 'pending');
  assert.match(failing.lastError ?? '', /ECONNREFUSED/);
  assert.equal(failing.sentAt, null);

  const sink = await startSink(smtpPort);
  await waitFor('the email in the sink', () => sink.mailbox.size > 0);
  const sent = await waitFor('the email recorded as sent', async () => {
    const email = (await svc.emails())[0];
    return email?.status === 'sent' && email;
  });
  assert.equal(sent.id, eventId);
  assert.equal(sent.lastError, null);
  assert.ok(sent.attempts >= 3);
  await svc.workers.sender.runOnce();
  assert.equal(sink.mailbox.size, 1);
  assert.equal(sink.mailbox.list()[0]?.messageId, `<order-confirmed.${eventId}@bazaar.local>`);
  await svc.stop();
  await svc.store.close();
  await sink.smtp.close();
  await orders.close();
});

test('an order-cancelled email names the order and the reason, and says nothing was charged', async () => {
  const orders = await startOrdersProducer();
  const sink = await startSink();
  const svc = await startNotifications({ ordersUrl: orders.url, smtpUrl: sink.url });
  const eventId = await orders.publish('orders.order-cancelled', cancelledOrder({ reason: 'payment could not be completed in time' }));

  const [mail] = await waitFor('the cancellation email', () => sink.mailbox.size > 0 && sink.mailbox.list());
  assert.ok(mail);
  assert.deepEqual(mail.to, ['bob@example.test']);
  assert.equal(mail.subject, 'Your Bazaar order 9b8c7d6e was cancelled');
  assert.equal(mail.messageId, `<order-cancelled.${eventId}@bazaar.local>`);
  assert.match(mail.text, /9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e was cancelled/);
  assert.match(mail.text, /Reason: payment could not be completed in time/);
  assert.match(mail.text, /Nothing was charged/);
  assert.match(mail.html ?? '', /Reason: payment could not be completed in time/);
  await svc.stop();
  await svc.store.close();
  await sink.smtp.close();
  await orders.close();
});

test('an event that breaks its contract is skipped without an email, and later events still go out', async () => {
  const orders = await startOrdersProducer();
  const sink = await startSink();
  const svc = await startNotifications({ ordersUrl: orders.url, smtpUrl: sink.url });
  await orders.publish('orders.order-confirmed', { ...confirmedOrder(), email: undefined } as unknown as ReturnType<typeof confirmedOrder>);
  await orders.publish('orders.order-cancelled', cancelledOrder());
  await waitFor('the cancellation email', () => sink.mailbox.size > 0);
  await svc.workers.sender.runOnce();
  assert.deepEqual(sink.mailbox.list().map((m) => m.subject), ['Your Bazaar order 9b8c7d6e was cancelled']);
  assert.equal((await svc.emails()).length, 1);
  await svc.stop();
  await svc.store.close();
  await sink.smtp.close();
  await orders.close();
});
