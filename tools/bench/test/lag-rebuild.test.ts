import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consumerSpans, lagFigures, type FeedEvent, type SpanRow } from '../src/lag.ts';
import { latencies, rebuildFigures } from '../src/rebuild.ts';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const consumer = (service: string, eventId: string, source: string, sequence: number, endMs: number, group?: string): SpanRow => ({
  service,
  kind: 4,
  start: T0 + endMs - 1,
  end: T0 + endMs,
  attributes: { 'messaging.message.id': eventId, 'messaging.destination.name': source, 'bazaar.event.sequence': sequence, ...(group ? { 'messaging.consumer.group.name': group } : {}) },
});
const event = (id: string, sequence: number, atMs: number): FeedEvent => ({ id, sequence, time: new Date(T0 + atMs).toISOString() });

test("event lag: a consumer span's end minus its event's outbox time, per consumer and source; other spans are not consumers", () => {
  const spans: SpanRow[] = [
    consumer('notifications', 'e1', 'orders', 1, 12, 'notifications'),
    consumer('reports', 'e1', 'orders', 1, 30, 'reports'),
    consumer('notifications', 'e2', 'orders', 2, 105, 'notifications'),
    consumer('reports', 'p1', 'payments', 7, 50),
    // A server span, and a consumer span without an event id: not counted.
    { service: 'orders', kind: 1, start: T0, end: T0 + 5, attributes: { 'messaging.message.id': 'e1' } },
    { service: 'cart', kind: 4, start: T0, end: T0 + 5, attributes: {} },
    // An event the feed no longer holds.
    consumer('search', 'gone', 'orders', 3, 10, 'search'),
  ];
  const applied = consumerSpans(spans);
  assert.equal(applied.length, 5);
  const events = new Map([event('e1', 1, 2), event('e2', 2, 100), event('p1', 7, 20)].map((e) => [e.id, e]));
  const lag = lagFigures(applied, events);
  assert.deepEqual(
    lag.edges.map((e) => [e.edge, e.n, e.p50, e.max]),
    [
      ['notifications ← orders', 2, 10, 10],
      ['reports ← orders', 1, 28, 28],
      ['reports ← payments', 1, 30, 30],
    ],
    'the consumer group names the consumer; without one, its service does',
  );
  assert.deepEqual(lag.all, { n: 4, p50: 28, p99: 30 }, "lags 10, 10, 28, 30: the bench's quantile takes the value at ⌊q·n⌋");
  assert.equal(lag.unmatched, 1);
});

test('rebuild figures: the rounds pooled, p99 during over p99 quiet, events replayed per second', () => {
  const samples = (ms: number[]) => ms.map((m, i) => ({ at: i, ms: m, orderId: `o${i}`, confirmed: true }));
  const quiet = samples(Array.from({ length: 100 }, (_, i) => 50 + (i === 99 ? 50 : 0)));
  const during = samples(Array.from({ length: 100 }, (_, i) => 60 + (i >= 98 ? 90 : 0)));
  assert.deepEqual(latencies(quiet), { n: 100, p50: 50, p99: 100 });
  const f = rebuildFigures([
    { events: 10_000, rebuildMs: 4000, quiet: quiet.slice(0, 50), during: during.slice(0, 50) },
    { events: 10_000, rebuildMs: 6000, quiet: quiet.slice(50), during: during.slice(50) },
  ]);
  assert.equal(f.quiet.p99, 100);
  assert.equal(f.during.p99, 150);
  assert.equal(f.p99Ratio, 1.5);
  assert.equal(f.eventsPerS, 2000, '20,000 events in 10 s');
});
