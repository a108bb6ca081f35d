// Stopping a JetStream subscription must return whatever the consume loop is
// doing. Found on a busy machine: a stop() that landed while the loop was
// opening its pull waited for ever (the test process then never exited and
// `npm test` hung), because the loop awaited pull.close() before iterating the
// pull, and the client only finishes closing a pull that is being iterated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JetStreamManager } from '@nats-io/jetstream';
import { testLogger, waitFor } from '@bazaar/kit/testing';
import { createJetStreamTransport, type JetStreamConnection, type NatsHandles } from '../src/index.ts';
import { cleanupFirst, connections, removeStreams, requireNats, testPrefix } from './nats-helpers.ts';

/** Settle `promise` within `ms`, or fail naming what did not happen. */
async function within<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

test('stop() while the consumer is still being attached returns, and nothing is consumed after it', async (t) => {
  await requireNats();
  const prefix = testPrefix();
  const conns = connections(prefix);
  const cleanup = cleanupFirst(t);
  cleanup(() => removeStreams(prefix));
  cleanup(() => conns.closeAll());
  const real = conns.open('consumer');
  const handles = await real.ready();

  // The durable's creation waits for the test: stop() lands in that window, deterministically.
  let attaching = false;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const consumers = Object.create(handles.jsm.consumers) as JetStreamManager['consumers'];
  Object.defineProperty(consumers, 'add', {
    value: async (...args: Parameters<JetStreamManager['consumers']['add']>) => {
      attaching = true;
      await gate;
      return handles.jsm.consumers.add(...args);
    },
  });
  const jsm = Object.create(handles.jsm) as JetStreamManager;
  Object.defineProperty(jsm, 'consumers', { value: consumers });
  const gated: JetStreamConnection = {
    names: real.names,
    ready: async (): Promise<NatsHandles> => ({ ...handles, jsm }),
    check: () => real.check(),
    close: () => real.close(),
  };

  const handled: unknown[] = [];
  const sub = createJetStreamTransport({ connection: gated, logger: testLogger(), fetchExpiresMs: 60_000 }).subscribe({
    source: 'producer',
    consumer: 'c1',
    handle: async (event) => void handled.push(event),
  });
  await waitFor('the consumer to be attaching', () => attaching, 10_000);
  const stopping = sub.stop();
  release();
  await within('stop() to return', stopping, 15_000);
  assert.deepEqual(handled, []);
});
