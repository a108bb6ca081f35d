// The Events page's dead letters against a real nats-server: listed per consumer,
// replayed from the page's control API (same-origin only), gone from the list
// once replayed; without NATS the page says where dead letters live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Type, loadConfig } from '@bazaar/kit';
import { testLogger, waitFor } from '@bazaar/kit/testing';
import { connectJetStream, createJetStreamTransport, publishEvent, type AnyCloudEvent } from '@bazaar/messaging';
import { createControlServer } from '../src/control.ts';
import { jetStreamDeadLetters } from '../src/dead-letters.ts';
import { openTelemetryStore } from '../src/telemetry/store.ts';
import { createCollector } from '../src/telemetry/collector.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NATS_URL = loadConfig(Type.Object({ NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }) })).NATS_URL;

const event = (n: number): AnyCloudEvent => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'orders',
  type: 'orders.order-confirmed',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  sequence: n,
  data: { n },
});

/** A control server (with its telemetry store) on a free port; closed when the test ends. */
async function control(t: { after(fn: () => unknown): void }, deadLetters?: Awaited<ReturnType<typeof jetStreamDeadLetters>>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'launcher-dl-'));
  const store = openTelemetryStore(join(dir, 'telemetry.db'));
  const collector = createCollector(store);
  const server = createControlServer({ processes: new Map(), gatewayUrl: 'http://127.0.0.1:1', telemetry: { store, collector }, ...(deadLetters ? { deadLetters } : {}) });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.after(async () => {
    await new Promise((done) => server.close(done));
    collector.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('the Events page lists dead letters per consumer and replays one to its consumer only, from the same origin only', async (t) => {
  const prefix = `t${process.pid}_${randomBytes(4).toString('hex')}`;
  const connection = connectJetStream({ url: NATS_URL, prefix, logger: testLogger(), name: 'launcher-dead-letters-test' });
  const cleanup: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    try {
      for (const step of cleanup) await step();
    } finally {
      await connection.close();
    }
  });
  const unreachable = new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(`NATS JetStream is not reachable at ${NATS_URL}. Start it: nats-server -js -a 127.0.0.1 -p 4222 (CI starts it), or set NATS_URL.`)), 3000).unref();
  });
  const handles = await Promise.race([connection.ready(), unreachable]);

  let broken = true;
  const handled: { consumer: string; n: number }[] = [];
  const transport = createJetStreamTransport({ connection, logger: testLogger(), maxDeliver: 1, fetchExpiresMs: 5000 });
  const subscribe = (consumer: string) =>
    transport.subscribe({
      source: 'orders',
      consumer,
      handle: async (e) => {
        if (broken && consumer === 'notifications') throw new Error('SMTP said <no>');
        handled.push({ consumer, n: (e.data as { n: number }).n });
      },
    });
  const subs = [subscribe('notifications'), subscribe('cart')];
  cleanup.push(() => Promise.all(subs.map((s) => s.stop())));
  cleanup.push(async () => {
    for (const name of [connection.names.stream('orders'), connection.names.deadLetterStream]) await handles.jsm.streams.delete(name).catch(() => undefined);
  });
  const dead = event(7);
  await waitFor('the orders stream', () => publishEvent(handles, connection.names, dead).then(() => true, () => false), 30_000);
  await waitFor('cart to handle the event', () => handled.some((h) => h.consumer === 'cart'), 30_000);

  const deadLetters = await jetStreamDeadLetters({ url: NATS_URL, prefix });
  cleanup.push(() => deadLetters.close());
  const base = await control(t, deadLetters);

  const listed = await waitFor('the dead letter in the API', async () => {
    const body = (await (await fetch(`${base}/api/dead-letters`)).json()) as { stream: string; deadLetters: { seq: number; eventId: string; consumer: string; error: string }[] };
    return body.deadLetters.length === 1 ? body : undefined;
  }, 30_000);
  assert.equal(listed.stream, `${prefix}_BAZAAR_DEAD_LETTERS`);
  const [letter] = listed.deadLetters;
  assert.equal(letter?.eventId, dead.id);
  assert.equal(letter?.consumer, 'notifications');

  const page = await (await fetch(`${base}/events`)).text();
  assert.match(page, /<h3 data-consumer="notifications">notifications <span[^>]*>← orders · 1 dead letter</);
  assert.ok(page.includes(`data-action="/api/dead-letters/${letter?.seq}/replay"`), 'a Replay button');
  assert.ok(page.includes('SMTP said &#60;no&#62;'), 'the error, escaped');

  // Another site cannot make the operator's browser replay it.
  const forged = await fetch(`${base}/api/dead-letters/${letter?.seq}/replay`, { method: 'POST', headers: { origin: 'https://evil.example' } });
  assert.equal(forged.status, 403);
  assert.equal((await deadLetters.list()).length, 1, 'still there');

  broken = false;
  const replayed = await fetch(`${base}/api/dead-letters/${letter?.seq}/replay`, { method: 'POST', headers: { origin: base, 'content-type': 'application/json' }, body: '{}' });
  assert.equal(replayed.status, 200, await replayed.clone().text());
  assert.deepEqual(((await replayed.json()) as { replayed: { eventId: string; consumer: string } }).replayed.eventId, dead.id);
  await waitFor('notifications to handle the replayed event', () => handled.some((h) => h.consumer === 'notifications'), 30_000);
  assert.deepEqual(handled.filter((h) => h.consumer === 'cart'), [{ consumer: 'cart', n: 7 }], 'cart did not get it twice');
  assert.deepEqual(await deadLetters.list(), []);
  assert.match(await (await fetch(`${base}/events`)).text(), /None: no consumer has given up on an event/);

  // Replaying it again: it is gone.
  const again = await fetch(`${base}/api/dead-letters/${letter?.seq}/replay`, { method: 'POST' });
  assert.equal(again.status, 404);
});

test('without NATS the Events page says where dead letters live, and their API answers 404', async (t) => {
  const base = await control(t);
  assert.match(await (await fetch(`${base}/events`)).text(), /None on the embedded feed/);
  assert.equal((await fetch(`${base}/api/dead-letters`)).status, 404);
  assert.equal((await fetch(`${base}/api/dead-letters/1/replay`, { method: 'POST' })).status, 404);
});
