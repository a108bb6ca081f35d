/**
 * The transport conformance suite: every EventTransport (the embedded HTTP
 * feed, NATS JetStream) must pass these, so services can switch transports
 * without changing behaviour. Call `transportConformance(name, setup)` from a
 * test file; it registers node:test tests.
 *
 * This module is the `@bazaar/messaging/testing` entry: it also exports the
 * stand-in producer for consumers' tests (./testing-producer.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, withContext } from '@bazaar/kit';
import { captureSpans, waitFor } from '@bazaar/kit/testing';
import type { AnyCloudEvent, EventTransport, NewEvent, Subscription } from './types.ts';

export { startTestProducer, type TestProducer, type TestProducerOptions } from './testing-producer.ts';

export interface ConformanceHarness {
  /** Source name the producer publishes as. */
  source: string;
  /** A transport for the consumer; calling it again simulates a consumer restart (durable state kept). */
  transport(): EventTransport;
  /** Publish through the producer's real path (outbox, or broker). */
  publish(events: NewEvent[]): Promise<void>;
  stopProducer(): Promise<void>;
  startProducer(): Promise<void>;
  close(): Promise<void>;
}

const numbered = (from: number, count: number): NewEvent[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'test.counted', subject: `n${from + i}`, data: { n: from + i } }));

const ns = (events: AnyCloudEvent[]) => events.map((e) => (e.data as { n: number }).n);

/** Register the suite for one transport. */
export function transportConformance(name: string, setup: () => Promise<ConformanceHarness>): void {
  const withHarness = (title: string, body: (h: ConformanceHarness, subs: Subscription[]) => Promise<void>) =>
    test(`${name} transport: ${title}`, async () => {
      const h = await setup();
      const subs: Subscription[] = [];
      try {
        await body(h, subs);
      } finally {
        await Promise.all(subs.map((s) => s.stop()));
        await h.close();
      }
    });

  withHarness('delivers events published before and after subscribing, in order, as CloudEvents', async (h, subs) => {
    await h.publish(numbered(1, 3));
    const got: AnyCloudEvent[] = [];
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'c1', handle: async (e) => void got.push(e) }));
    await waitFor('the first 3 events', () => got.length >= 3, 5000);
    await h.publish(numbered(4, 2));
    await waitFor('5 events', () => got.length >= 5, 5000);
    assert.deepEqual(ns(got), [1, 2, 3, 4, 5]);
    for (const e of got) {
      assert.equal(e.specversion, '1.0');
      assert.equal(e.source, h.source);
      assert.equal(e.type, 'test.counted');
      assert.ok(e.id && e.time && e.sequence > 0);
    }
    assert.equal(new Set(got.map((e) => e.id)).size, 5);
  });

  withHarness('a failing handler gets the same event again, and later events wait (at-least-once, ordered)', async (h, subs) => {
    await h.publish(numbered(1, 3));
    const attempts: number[] = [];
    let failuresLeft = 2;
    subs.push(
      h.transport().subscribe({
        source: h.source,
        consumer: 'c1',
        handle: async (e) => {
          const n = (e.data as { n: number }).n;
          attempts.push(n);
          if (n === 2 && failuresLeft-- > 0) throw new Error('transient');
        },
      }),
    );
    await waitFor('all 3 handled', () => attempts.includes(3), 30_000);
    assert.deepEqual(attempts, [1, 2, 2, 2, 3]);
  });

  withHarness('a restarted consumer resumes after what it acknowledged: nothing skipped, nothing acknowledged comes again', async (h, subs) => {
    await h.publish(numbered(1, 4));
    const first: number[] = [];
    const sub = h.transport().subscribe({ source: h.source, consumer: 'c1', handle: async (e) => void first.push((e.data as { n: number }).n) });
    await waitFor('4 events', () => first.length >= 4, 5000);
    await sub.stop();
    await h.publish(numbered(5, 3));
    const second: number[] = [];
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'c1', handle: async (e) => void second.push((e.data as { n: number }).n) }));
    await waitFor('the 3 new events', () => second.length >= 3, 5000);
    assert.deepEqual(first, [1, 2, 3, 4]);
    assert.deepEqual(second, [5, 6, 7]);
  });

  withHarness('a producer that is down delays events, never loses them', async (h, subs) => {
    const got: number[] = [];
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'c1', handle: async (e) => void got.push((e.data as { n: number }).n) }));
    await h.publish(numbered(1, 1));
    await waitFor('event 1', () => got.length >= 1, 5000);
    await h.stopProducer();
    await new Promise((r) => setTimeout(r, 300));
    await h.startProducer();
    await h.publish(numbered(2, 2));
    await waitFor('events 2 and 3 after the producer came back', () => got.length >= 3, 10_000);
    assert.deepEqual(got, [1, 2, 3]);
  });

  withHarness('a new event reaches a waiting consumer promptly (no fixed polling delay)', async (h, subs) => {
    const got: number[] = [];
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'c1', handle: async (e) => void got.push((e.data as { n: number }).n) }));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await h.publish(numbered(1, 1));
    await waitFor('the event', () => got.length >= 1, 2000);
    // Reported, not asserted as a speed target: the deadline above only rules out a hang.
    console.log(`# ${name}: publish-to-handler latency ${Date.now() - t0} ms`);
  });

  withHarness('a batch subscriber gets waiting events in batches, in order, each once', async (h, subs) => {
    await h.publish(numbered(1, 5));
    const batches: number[][] = [];
    const single: number[] = [];
    subs.push(
      h.transport().subscribe({
        source: h.source,
        consumer: 'c1',
        handle: async (e) => void single.push((e.data as { n: number }).n),
        handleBatch: async (events) => void batches.push(ns(events)),
      }),
    );
    await waitFor('the first 5 events', () => batches.flat().length >= 5, 5000);
    await h.publish(numbered(6, 2));
    await waitFor('7 events', () => batches.flat().length >= 7, 5000);
    assert.deepEqual(batches.flat(), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(single, [], 'nothing through handle while batches succeed');
    assert.ok(batches.some((b) => b.length > 1), `events waiting together come together: ${JSON.stringify(batches)}`);
  });

  withHarness('events handled in a batch or one at a time are each a CONSUMER span, child of the PRODUCER span of the change that wrote them', async (h, subs) => {
    const captured = captureSpans();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await withContext({ requestId: 'r', traceId, spanId: '00f067aa0ba902b7' }, () => h.publish(numbered(1, 4)));
    const batched: number[] = [];
    const single: number[] = [];
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'cb', handle: async () => assert.fail('no single delivery'), handleBatch: async (events) => void batched.push(...ns(events)) }));
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'cs', handle: async (e) => void single.push((e.data as { n: number }).n) }));
    await waitFor('4 events to each consumer', () => batched.length >= 4 && single.length >= 4, 10_000);
    const producers = captured.spans().filter((s) => s.kind === SpanKind.PRODUCER && s.traceId === traceId);
    assert.equal(producers.length, 4, 'one PRODUCER span per event written');
    const producerIds = new Set(producers.map((s) => s.spanId));
    for (const consumer of ['cb', 'cs']) {
      const consumed = await waitFor(`4 CONSUMER spans of ${consumer}`, () => {
        const spans = captured.spans().filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.consumer.group.name'] === consumer);
        return spans.length >= 4 ? spans : undefined;
      }, 5000);
      for (const s of consumed) {
        assert.equal(s.traceId, traceId, `${consumer}'s span is in the producer's trace`);
        assert.ok(producerIds.has(s.parentSpanId as string), `${consumer}'s "${s.name}" is a child of a PRODUCER span`);
      }
      assert.equal(new Set(consumed.map((s) => s.parentSpanId)).size, 4, `${consumer}: one CONSUMER span per event`);
    }
  });

  withHarness('a failed batch is acknowledged for none: its events come again one at a time, then batches resume', async (h, subs) => {
    await h.publish(numbered(1, 4));
    const batches: number[][] = [];
    const single: number[] = [];
    let failBatches = 1;
    subs.push(
      h.transport().subscribe({
        source: h.source,
        consumer: 'c1',
        handle: async (e) => void single.push((e.data as { n: number }).n),
        handleBatch: async (events) => {
          if (failBatches-- > 0) throw new Error('transient');
          batches.push(ns(events));
        },
      }),
    );
    await waitFor('the 4 events through handle', () => single.length + batches.flat().length >= 4, 10_000);
    await h.publish(numbered(5, 2));
    await waitFor('6 events', () => single.length + batches.flat().length >= 6, 10_000);
    assert.deepEqual([...single, ...batches.flat()], [1, 2, 3, 4, 5, 6]);
    assert.ok(single.length >= 1, 'the failed batch came again through handle');
    assert.ok(batches.flat().includes(6), 'batches resume after the failed one');
  });

  withHarness('a restarted batch subscriber resumes after the last acknowledged batch', async (h, subs) => {
    await h.publish(numbered(1, 3));
    const first: number[] = [];
    const sub = h.transport().subscribe({ source: h.source, consumer: 'c1', handle: async () => assert.fail('no single delivery'), handleBatch: async (events) => void first.push(...ns(events)) });
    await waitFor('3 events', () => first.length >= 3, 5000);
    await sub.stop();
    await h.publish(numbered(4, 2));
    const second: number[] = [];
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'c1', handle: async () => assert.fail('no single delivery'), handleBatch: async (events) => void second.push(...ns(events)) }));
    await waitFor('the 2 new events', () => second.length >= 2, 5000);
    assert.deepEqual(first, [1, 2, 3]);
    assert.deepEqual(second, [4, 5]);
  });

  withHarness('two consumers of one source each get every event', async (h, subs) => {
    const a: number[] = [];
    const b: number[] = [];
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'ca', handle: async (e) => void a.push((e.data as { n: number }).n) }));
    subs.push(h.transport().subscribe({ source: h.source, consumer: 'cb', handle: async (e) => void b.push((e.data as { n: number }).n) }));
    await h.publish(numbered(1, 3));
    await waitFor('both consumers', () => a.length >= 3 && b.length >= 3, 5000);
    assert.deepEqual(a, [1, 2, 3]);
    assert.deepEqual(b, [1, 2, 3]);
  });
}
