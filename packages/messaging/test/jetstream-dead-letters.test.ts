// Dead letters and shared durable consumers on a real nats-server: an event
// that fails N times is parked, later events flow, and a replay reaches only
// the consumer that gave up on it; instances of one consumer share the work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headers } from '@nats-io/transport-node';
import { testLogger, waitFor } from '@bazaar/kit/testing';
import { appendEvent, createJetStreamTransport, listDeadLetters, natsNames, replayDeadLetters, startOutboxRelay, type Subscription } from '../src/index.ts';
import { cleanupFirst, connections, producerStore, removeStreams, requireNats, testPrefix } from './nats-helpers.ts';

async function world(t: { after(fn: () => Promise<void>): void }) {
  await requireNats();
  const prefix = testPrefix();
  const conns = connections(prefix);
  const store = await producerStore();
  const relay = startOutboxRelay({ store, connection: conns.open('producer'), logger: testLogger(), intervalMs: 20 });
  const subs: Subscription[] = [];
  const cleanup = cleanupFirst(t);
  cleanup(() => Promise.all(subs.map((s) => s.stop())));
  cleanup(() => relay.stop());
  cleanup(() => removeStreams(prefix));
  cleanup(() => conns.closeAll());
  cleanup(() => store.close());
  const admin = conns.open('admin');
  return {
    prefix,
    subs,
    admin,
    /** A transport in a process of its own. */
    transport: (maxDeliver = 3) => createJetStreamTransport({ connection: conns.open('consumer'), logger: testLogger(), maxDeliver, fetchExpiresMs: 5000 }),
    async publish(from: number, count: number) {
      await store.db.transaction().execute(async (trx) => {
        for (let n = from; n < from + count; n++) await appendEvent(trx, 'producer', { type: 'test.counted', subject: `n${n}`, data: { n } });
      });
    },
  };
}

const n = (e: { data: unknown }) => (e.data as { n: number }).n;

test('an event whose handler fails N times goes to the dead-letter stream, later events flow, and a replay reaches only that consumer', async (t) => {
  const w = await world(t);
  let broken = true;
  const attempts: number[] = [];
  const healthy: number[] = [];
  w.subs.push(
    w.transport(3).subscribe({
      source: 'producer',
      consumer: 'fragile',
      handle: async (e) => {
        attempts.push(n(e));
        if (n(e) === 2 && broken) throw new Error('template missing\nfor event 2');
      },
    }),
  );
  w.subs.push(w.transport(3).subscribe({ source: 'producer', consumer: 'healthy', handle: async (e) => void healthy.push(n(e)) }));
  await w.publish(1, 3);
  await waitFor('event 3 after event 2 was given up', () => attempts.includes(3), 30_000);
  assert.deepEqual(attempts, [1, 2, 2, 2, 3], 'three attempts at event 2, and event 3 only after it was dead-lettered');

  const h = await w.admin.ready();
  const names = natsNames(w.prefix);
  const [letter, ...others] = await listDeadLetters(h, names);
  assert.equal(others.length, 0);
  assert.ok(letter);
  assert.equal(letter.consumer, 'fragile');
  assert.equal(letter.source, 'producer');
  assert.equal(letter.type, 'test.counted');
  assert.equal(letter.deliveries, 3);
  assert.equal(letter.error, 'template missing for event 2');
  assert.equal(letter.stream, names.stream('producer'));
  assert.equal(JSON.parse(letter.body).id, letter.eventId);
  assert.equal(JSON.parse(letter.body).data.n, 2);

  broken = false;
  const replayed = await replayDeadLetters(h, names, { ids: [String(letter.seq)] });
  assert.deepEqual(replayed.map((l) => l.seq), [letter.seq]);
  await waitFor('the replayed event', () => attempts.length >= 6, 10_000);
  assert.deepEqual(attempts, [1, 2, 2, 2, 3, 2]);
  assert.deepEqual(await listDeadLetters(h, names), [], 'a replayed dead letter leaves the list');
  // The healthy consumer acknowledges the replay without seeing it: wait until its consumer has nothing pending.
  await waitFor('the healthy consumer to pass the replay', async () => {
    const info = await h.jsm.consumers.info(names.stream('producer'), 'healthy');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 30_000);
  assert.deepEqual(healthy, [1, 2, 3]);
  await assert.rejects(replayDeadLetters(h, names, { ids: ['999', 'no-such-event'] }), /no dead letter with id 999, no-such-event/);
});

test('a message that is not a CloudEvent is dead-lettered at once, without calling the handler', async (t) => {
  const w = await world(t);
  const got: number[] = [];
  w.subs.push(w.transport().subscribe({ source: 'producer', consumer: 'c1', handle: async (e) => void got.push(n(e)) }));
  await w.publish(1, 1);
  await waitFor('event 1', () => got.length === 1, 10_000);
  const h = await w.admin.ready();
  const names = natsNames(w.prefix);
  const hdrs = headers();
  hdrs.set('Nats-Msg-Id', 'garbage-1');
  await h.js.publish(names.subject('producer', 'test.counted'), '{"not":"an event"}', { headers: hdrs });
  await w.publish(2, 1);
  await waitFor('event 2 after the garbage', () => got.length === 2, 10_000);
  assert.deepEqual(got, [1, 2]);
  const letters = await listDeadLetters(h, names);
  assert.equal(letters.length, 1);
  assert.equal(letters[0]?.deliveries, 1);
  assert.match(letters[0]?.error ?? '', /^not a CloudEvent/);
  assert.equal(letters[0]?.body, '{"not":"an event"}');
});

test('replay --all replays every dead letter, oldest first', async (t) => {
  const w = await world(t);
  let broken = true;
  const seen: number[] = [];
  w.subs.push(
    w.transport(1).subscribe({
      source: 'producer',
      consumer: 'c1',
      handle: async (e) => {
        if (broken && n(e) % 2 === 0) throw new Error(`even ${n(e)}`);
        seen.push(n(e));
      },
    }),
  );
  await w.publish(1, 5);
  await waitFor('events 1, 3, 5', () => seen.length === 3, 10_000);
  const h = await w.admin.ready();
  const names = natsNames(w.prefix);
  assert.deepEqual((await listDeadLetters(h, names)).map((l) => l.error), ['even 2', 'even 4']);
  broken = false;
  const replayed = await replayDeadLetters(h, names, { all: true });
  assert.equal(replayed.length, 2);
  await waitFor('the replays', () => seen.length === 5, 10_000);
  assert.deepEqual(seen, [1, 3, 5, 2, 4]);
  assert.deepEqual(await listDeadLetters(h, names), []);
});

test('instances of one consumer share its durable: each event is handled once, in order, across them', async (t) => {
  const w = await world(t);
  const handled: { instance: number; n: number }[] = [];
  for (const instance of [1, 2, 3]) {
    w.subs.push(
      w.transport().subscribe({
        source: 'producer',
        consumer: 'shared',
        handle: async (e) => {
          handled.push({ instance, n: n(e) });
          // Give another instance the chance to take the next one.
          await new Promise((r) => setTimeout(r, 2));
        },
      }),
    );
  }
  await w.publish(1, 30);
  await waitFor('30 events', () => handled.length >= 30, 15_000);
  // Nothing more arrives: the durable has nothing pending or unacknowledged.
  const h = await w.admin.ready();
  await waitFor('the durable to settle', async () => {
    const info = await h.jsm.consumers.info(natsNames(w.prefix).stream('producer'), 'shared');
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 30_000);
  assert.deepEqual(handled.map((x) => x.n), Array.from({ length: 30 }, (_, i) => i + 1), 'each once, in order');
  const byInstance = [1, 2, 3].map((i) => handled.filter((x) => x.instance === i).length);
  console.log(`# events handled per instance: ${byInstance.join(', ')}`);
});
