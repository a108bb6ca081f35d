import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@bazaar/kit';
import { domainOf, orderCancelledEmail, orderConfirmedEmail, shortId } from '../src/domain/emails.ts';
import { formatMoney } from '../src/domain/money.ts';
import { retryDelay } from '../src/sender.ts';
import { smtpTarget } from '../src/upstream/smtp.ts';
import { NotificationsConfig } from '../src/config.ts';
import { cancelledOrder, confirmedOrder } from './helpers.ts';

test('money is formatted from minor units in the currency’s own digits', () => {
  assert.equal(formatMoney({ amount: 2599, currency: 'EUR' }), '€25.99');
  assert.equal(formatMoney({ amount: 5, currency: 'EUR' }), '€0.05');
  assert.equal(formatMoney({ amount: 123456789, currency: 'USD' }), '$1,234,567.89');
  assert.equal(formatMoney({ amount: 500, currency: 'JPY' }), '¥500');
  assert.match(formatMoney({ amount: 1000, currency: 'KWD' }), /^KWD\s1\.000$/u, 'three minor digits');
});

test('product names and reasons are escaped in the HTML body and kept as written in the text', () => {
  const order = confirmedOrder({
    items: [{ productId: 'p', name: '<script>x</script> & "Co"', quantity: 1, unitPrice: { amount: 100, currency: 'EUR' }, lineTotal: { amount: 100, currency: 'EUR' } }],
    total: { amount: 100, currency: 'EUR' },
  });
  const email = orderConfirmedEmail({ eventId: 'evt-1', data: order, domain: 'shop.test' });
  assert.doesNotMatch(email.html, /<script>/);
  assert.match(email.html, /&lt;script&gt;x&lt;\/script&gt; &amp; &quot;Co&quot;/);
  assert.match(email.text, /<script>x<\/script> & "Co" × 1: €1\.00/);
  assert.equal(email.messageId, '<order-confirmed.evt-1@shop.test>');
  assert.equal(email.id, 'evt-1');

  const cancelled = orderCancelledEmail({ eventId: 'evt-2', data: cancelledOrder({ reason: 'stock <gone>' }), domain: 'shop.test' });
  assert.match(cancelled.html, /Reason: stock &lt;gone&gt;/);
  assert.equal(cancelled.kind, 'order-cancelled');
});

test('short ids, the Message-ID domain and the loggable SMTP target', () => {
  assert.equal(shortId('3f2a9c1e-7b4d-4e8a'), '3f2a9c1e');
  assert.equal(shortId('o-1'), 'o-1');
  assert.equal(domainOf('Bazaar <orders@bazaar.local>'), 'bazaar.local');
  assert.equal(domainOf('orders@shop.example'), 'shop.example');
  assert.equal(smtpTarget('smtps://user:secret@smtp.example.com:465'), 'smtp.example.com:465');
});

test('retry delays double from the base up to the cap, with jitter', () => {
  const retry = { baseMs: 1000, maxMs: 60_000 };
  for (let i = 0; i < 20; i++) {
    const first = retryDelay(1, retry);
    assert.ok(first >= 800 && first <= 1200, `first retry ${first}`);
    const third = retryDelay(3, retry);
    assert.ok(third >= 3200 && third <= 4800, `third retry ${third}`);
    assert.ok(retryDelay(500, retry) <= 72_000);
  }
});

const token = { BAZAAR_SERVICE_CREDENTIAL: 'a-service-secret-0123456789', BAZAAR_SERVICE_CALLERS: '' };

test('config: defaults, and a bad SMTP_URL or MAIL_FROM is named', () => {
  const config = loadConfig(NotificationsConfig, token);
  assert.equal(config.PORT, 8088);
  assert.equal(config.SMTP_URL, 'smtp://127.0.0.1:2525');
  assert.equal(config.ORDERS_URL, 'http://127.0.0.1:8085');
  assert.equal(config.MAIL_FROM, 'Bazaar <orders@bazaar.local>');
  assert.equal(config.NOTIFY_SEND_INTERVAL_MS, 200);
  for (const ok of ['smtps://user:pass@smtp.example.com:465', 'smtp://mail.internal', 'smtp://127.0.0.1:2525/?pool=true']) {
    assert.equal(loadConfig(NotificationsConfig, { ...token, SMTP_URL: ok }).SMTP_URL, ok);
  }
  for (const bad of ['http://127.0.0.1:2525', 'smtp://', '127.0.0.1:2525', 'smtp://host name']) {
    assert.throws(() => loadConfig(NotificationsConfig, { ...token, SMTP_URL: bad }), (e: unknown) => e instanceof ConfigError && e.variables.includes('SMTP_URL'), bad);
  }
  assert.throws(() => loadConfig(NotificationsConfig, { ...token, MAIL_FROM: 'Bazaar' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('MAIL_FROM'));
  assert.throws(() => loadConfig(NotificationsConfig, {}), (e: unknown) => e instanceof ConfigError && e.variables.includes('BAZAAR_SERVICE_CREDENTIAL'));
});

test('the confirmation greets the customer by name and prints the shipping address (escaped in HTML)', () => {
  const order = confirmedOrder({
    customerName: 'Sam <Shopper>',
    shippingAddress: { name: 'Sam <Shopper>', line1: '1 Market Street', city: 'Lyon', postalCode: '69001', country: 'FR' },
  });
  const email = orderConfirmedEmail({ eventId: 'evt-3', data: order, domain: 'shop.test' });
  assert.match(email.text, /^Hello Sam <Shopper>,/);
  assert.match(email.text, /It will be shipped to:\n {2}Sam <Shopper>\n {2}1 Market Street\n {2}69001 Lyon\n {2}FR\n/);
  assert.match(email.html, /<address>Sam &lt;Shopper&gt;<br>1 Market Street<br>69001 Lyon<br>FR<\/address>/);
  // An order from before addresses were kept still gets its email, without the block.
  const old = orderConfirmedEmail({ eventId: 'evt-4', data: confirmedOrder(), domain: 'shop.test' });
  assert.doesNotMatch(old.text, /shipped to/);
});
