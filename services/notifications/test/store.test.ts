// A durable store (a SQLite file, a PostgreSQL database): queued emails, their
// attempts and the consumer's position survive a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort, waitFor } from '@bazaar/kit/testing';
import { DIALECTS, testLocation } from '@bazaar/store/testing';
import { openNotificationsStore } from '../src/store/index.ts';
import { confirmedOrder, startNotifications, startOrdersProducer, startSink } from './helpers.ts';

for (const dialect of DIALECTS) {
  test(`${dialect}: a pending email survives a restart on a durable store and is sent once after it`, async (t) => {
    const where = await testLocation(dialect, 'notifications', t, { file: true });
    const orders = await startOrdersProducer();
    const smtpPort = await freePort();
    const smtpUrl = `smtp://127.0.0.1:${smtpPort}`;

    // First life: SMTP is down, the email is queued and fails.
    const store1 = await openNotificationsStore(where);
    assert.deepEqual(store1.applied, ['0001_init', '0002_inbox', '0003_email_trace']);
    if (dialect === 'sqlite') assert.equal(store1.location, join(where.dataDir, 'notifications.sqlite'));
    const first = await startNotifications({ ordersUrl: orders.url, smtpUrl, store: store1 });
    const eventId = await orders.publish('orders.order-confirmed', confirmedOrder());
    await waitFor('a failed attempt', async () => ((await first.emails())[0]?.attempts ?? 0) >= 1);
    await first.stop();
    await store1.close();

    // Second life: the same file, SMTP up.
    const sink = await startSink(smtpPort);
    const store2 = await openNotificationsStore(where);
    assert.deepEqual(store2.applied, [], 'migrations ran once');
    const queued = await store2.db.selectFrom('emails').selectAll().execute();
    assert.equal(queued.length, 1);
    assert.equal(queued[0]?.status, 'pending');
    assert.ok(Number(queued[0]?.attempts) >= 1);
    const cursor = await store2.db.selectFrom('event_cursors').selectAll().executeTakeFirst();
    assert.equal(Number(cursor?.position), 1, 'the consumer position was kept');

    const second = await startNotifications({ ordersUrl: orders.url, smtpUrl, store: store2 });
    await waitFor('the email in the sink', () => sink.mailbox.size > 0);
    await waitFor('the email recorded as sent', async () => (await second.emails())[0]?.status === 'sent');
    await second.stop();
    await store2.close();

    // Third look: sent stays sent on disk.
    const store3 = await openNotificationsStore(where);
    const row = await store3.db.selectFrom('emails').selectAll().where('id', '=', eventId).executeTakeFirstOrThrow();
    assert.equal(row.status, 'sent');
    assert.ok(row.sent_at);
    assert.equal(row.message_id, `<order-confirmed.${eventId}@bazaar.local>`);
    assert.equal((await store3.db.selectFrom('inbox').selectAll().execute()).length, 1);
    await store3.close();
    assert.equal(sink.mailbox.size, 1);

    await sink.smtp.close();
    await orders.close();
  });
}
