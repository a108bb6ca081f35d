// The dead-letters command against a real nats-server: list shows what a
// consumer gave up on, replay sends it back to that consumer, bad usage says how.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Type, loadConfig } from '@bazaar/kit';
import { testLogger, waitFor } from '@bazaar/kit/testing';
import { connectJetStream, createJetStreamTransport, publishEvent, type AnyCloudEvent } from '@bazaar/messaging';
import { runDeadLetters, USAGE } from '../src/cli.ts';

const NATS_URL = loadConfig(Type.Object({ NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }) })).NATS_URL;

const until = (what: string, check: () => boolean | Promise<boolean>) => waitFor(what, check, 30_000);

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

test('dead-letters: list shows what a consumer gave up on, replay sends it back, bad usage prints the usage', async (t) => {
  const prefix = `t${process.pid}_${randomBytes(4).toString('hex')}`;
  const connection = connectJetStream({ url: NATS_URL, prefix, logger: testLogger(), name: 'dead-letters-test' });
  // One hook, in order (hooks run in registration order): subscription, streams, connection.
  const cleanup: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    try {
      for (const step of cleanup) await step();
    } finally {
      await connection.close();
    }
  });
  const unreachable = new Promise<never>((_, reject) => {
    const message = `NATS JetStream is not reachable at ${NATS_URL}. Start it: nats-server -js -a 127.0.0.1 -p 4222 (CI starts it), or set NATS_URL.`;
    setTimeout(() => reject(new Error(message)), 3000).unref();
  });
  const handles = await Promise.race([connection.ready(), unreachable]);

  let broken = true;
  const handled: number[] = [];
  const sub = createJetStreamTransport({ connection, logger: testLogger(), maxDeliver: 1, fetchExpiresMs: 5000 }).subscribe({
    source: 'orders',
    consumer: 'notifications',
    handle: async (e) => {
      if (broken) throw new Error('SMTP said no');
      handled.push((e.data as { n: number }).n);
    },
  });
  cleanup.push(() => sub.stop());
  cleanup.push(async () => {
    for (const name of [connection.names.stream('orders'), connection.names.deadLetterStream]) await handles.jsm.streams.delete(name);
  });
  const dead = event(7);
  // The subscription creates the stream in the background: publish once it takes the event.
  await until('the orders stream', () => publishEvent(handles, connection.names, dead).then(() => true, () => false));

  const out: string[] = [];
  const run = async (...args: string[]) => {
    out.length = 0;
    return runDeadLetters(args, { handles, names: connection.names, print: (line) => out.push(line) });
  };
  await until('the dead letter', async () => (await run('list')) === 0 && out.at(-1)?.startsWith('1 dead letter') === true);
  assert.match(out[0] ?? '', /^SEQ +DEAD AT +CONSUMER +SOURCE +TYPE +EVENT ID +TRIES +ERROR$/);
  assert.match(out[1] ?? '', new RegExp(`^1 +\\S+ +notifications +orders +orders.order-confirmed +${dead.id} +1 +SMTP said no$`));
  assert.equal(await run('list', '--json'), 0);
  const [letter] = JSON.parse(out.join('\n')) as { seq: number; eventId: string }[];
  assert.equal(letter?.eventId, dead.id);

  broken = false;
  assert.equal(await run('replay', dead.id), 0);
  assert.deepEqual(out, [`replayed 1: orders.order-confirmed ${dead.id} to notifications (on ${prefix}.bazaar.orders.orders.order-confirmed)`, '1 replayed']);
  await until('the replayed event to be handled', () => handled.length === 1);
  assert.deepEqual(handled, [7]);
  assert.equal(await run('list'), 0);
  assert.equal(out.at(-1), `0 dead letters in ${prefix}_BAZAAR_DEAD_LETTERS`);

  assert.equal(await run('replay', '--all'), 0);
  assert.deepEqual(out, ['0 replayed'], 'nothing left to replay');
  assert.equal(await run('frobnicate'), 2);
  assert.deepEqual(out, [USAGE]);
  assert.equal(await run('replay'), 2);
  await assert.rejects(run('replay', '42'), /no dead letter with id 42/);
});
