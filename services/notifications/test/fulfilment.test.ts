// The back office's two emails: orders.order-shipped and orders.order-refunded,
// through the real feed, inbox, queue and SMTP sink, like the confirmation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@bazaar/kit/testing';
import { orderRefundedEmail, orderShippedEmail } from '../src/domain/emails.ts';
import { refundedOrder, shippedOrder, startNotifications, startOrdersProducer, startSink } from './helpers.ts';

test('order-shipped and order-refunded each send one email: carrier and tracking; amount and where the money goes', async () => {
  const orders = await startOrdersProducer();
  const sink = await startSink();
  const svc = await startNotifications({ ordersUrl: orders.url, smtpUrl: sink.url });
  const shippedId = await orders.publish('orders.order-shipped', shippedOrder());
  const refundedId = await orders.publish('orders.order-refunded', refundedOrder());

  const mails = await waitFor('the shipped and refunded emails in the sink', () => sink.mailbox.size === 2 && sink.mailbox.list());
  const shipped = mails.find((m) => m.subject === 'Your Bazaar order 5e4d3c2b has shipped');
  const refunded = mails.find((m) => m.subject === 'Your Bazaar order 5e4d3c2b was refunded');
  assert.ok(shipped && refunded, mails.map((m) => m.subject).join(', '));
  assert.deepEqual(shipped.to, ['ada@example.test']);
  assert.equal(shipped.messageId, `<order-shipped.${shippedId}@bazaar.local>`);
  assert.match(shipped.text, /^Hello Ada Lovelace,/);
  assert.match(shipped.text, /Carrier: La Poste, tracking number: LP 1234-FR/);
  assert.match(shipped.text, /Desk Lamp × 2/);
  assert.match(shipped.text, /69001 Lyon/);
  assert.match(shipped.html ?? '', /tracking number: <strong>LP 1234-FR<\/strong>/);

  assert.equal(refunded.messageId, `<order-refunded.${refundedId}@bazaar.local>`);
  assert.match(refunded.text, /5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716 was refunded/);
  assert.match(refunded.text, /Reason: damaged in transit/);
  assert.match(refunded.text, /The full amount, €53\.48, goes back to the card you paid with/);

  const records = await waitFor('both emails recorded as sent', async () => {
    const list = await svc.emails('?orderId=5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716');
    return list.length === 2 && list.every((e) => e.status === 'sent') && list;
  });
  assert.deepEqual(records.map((r) => r.kind).sort(), ['order-refunded', 'order-shipped']);

  // Delivered again from position 0: the inbox knows both events, nothing more is sent.
  await svc.stop();
  await svc.store.db.deleteFrom('event_cursors').execute();
  const again = await startNotifications({ ordersUrl: orders.url, smtpUrl: sink.url, store: svc.store });
  const marker = await orders.publish('orders.order-shipped', shippedOrder({ orderId: 'later-order', trackingNumber: 'LATER' }));
  await waitFor('the later email', async () => (await again.emails()).some((e) => e.id === marker && e.status === 'sent'));
  assert.equal(sink.mailbox.size, 3, 'only the later event sent an email');
  await again.stop();
  await again.store.close();
  await sink.smtp.close();
  await orders.close();
});

test('the shipped and refunded emails escape what admins typed, and a refund without a reason says none', () => {
  const shipped = orderShippedEmail({ eventId: 'e1', data: shippedOrder({ carrier: '<b>Evil</b>' }), domain: 'shop.test' });
  assert.doesNotMatch(shipped.html, /<b>Evil/);
  assert.match(shipped.html, /&lt;b&gt;Evil/);
  const { reason: _reason, ...noReason } = refundedOrder();
  const refunded = orderRefundedEmail({ eventId: 'e2', data: { ...noReason, amount: { amount: 500, currency: 'JPY' } }, domain: 'shop.test' });
  assert.doesNotMatch(refunded.text, /Reason:/);
  assert.match(refunded.text, /¥500/);
  assert.equal(refunded.kind, 'order-refunded');
});
