import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { AddressInfo } from 'node:net';
import { SpanKind, flushTelemetry, inSpan, startTelemetry } from '@bazaar/kit';
import { createControlServer } from '../src/control.ts';
import { createCollector } from '../src/telemetry/collector.ts';
import { openTelemetryStore, type StoredSpan } from '../src/telemetry/store.ts';

const work = mkdtempSync(join(tmpdir(), 'launcher-telemetry-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function launcher(file: string) {
  const store = openTelemetryStore(file);
  const collector = createCollector(store);
  const server = createControlServer({ processes: new Map(), gatewayUrl: 'http://127.0.0.1:1', telemetry: { store, collector } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    collector,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      collector.close();
      store.close();
    },
  };
}

test('spans from the real OTLP/HTTP exporter are stored with their parents, and outlive a restart of the store', async () => {
  const file = join(work, 'a.sqlite');
  const l = await launcher(file);
  startTelemetry({ service: 'orders', config: { OTEL_SDK_DISABLED: false, OTEL_EXPORTER_OTLP_ENDPOINT: l.url, OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=orders-2', OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: 1 } });
  let traceId = '';
  await inSpan('POST /api/checkout', { kind: SpanKind.SERVER }, async (outer) => {
    traceId = outer.spanContext().traceId;
    await inSpan('saga RESERVING', { attributes: { 'bazaar.order_id': 'order-1' } }, async () => undefined);
  });
  await flushTelemetry(5000);
  const spans = l.store.trace(traceId);
  assert.deepEqual(spans.map((s) => s.name).sort(), ['POST /api/checkout', 'saga RESERVING']);
  const [server, step] = ['POST /api/checkout', 'saga RESERVING'].map((n) => spans.find((s) => s.name === n) as StoredSpan) as [StoredSpan, StoredSpan];
  assert.equal(step.parentSpanId, server.spanId);
  assert.equal(server.parentSpanId, null);
  assert.equal(server.kind, SpanKind.SERVER);
  assert.equal(server.service, 'orders');
  assert.equal(server.instance, 'orders-2');
  assert.equal(step.orderId, 'order-1');
  assert.deepEqual(l.store.searchTraces({ orderId: 'order-1' }).map((t) => t.traceId), [traceId]);
  await l.close();

  const again = await launcher(file);
  assert.equal(again.store.trace(traceId).length, 2, 'the spans are still there after a restart');
  await again.close();
});

test('log lines are indexed by trace id; retention deletes what is too old', async () => {
  const store = openTelemetryStore(join(work, 'b.sqlite'), { maxAgeMs: 60_000, maxRows: 1000 });
  const collector = createCollector(store);
  const traceId = 'ab'.repeat(16);
  collector.line('orders', 'orders', JSON.stringify({ level: 'info', time: new Date().toISOString(), service: 'orders', msg: 'saga step done', trace_id: traceId, span_id: 'cd'.repeat(8) }));
  collector.line('orders', 'orders', 'not json at all');
  collector.close();
  assert.deepEqual(store.logs({ traceId }).map((l) => [l.msg, l.spanId]), [['saga step done', 'cd'.repeat(8)]]);
  assert.equal(store.logs({ text: 'not json' }).length, 1);
  const old = Date.now() - 120_000;
  store.addSpans([{ traceId, spanId: '01'.repeat(8), parentSpanId: null, service: 'x', instance: null, name: 'old', kind: 0, start: old, end: old + 1, durationMs: 1, status: 0, statusMessage: null, orderId: null, route: null, httpStatus: null, attributes: {} }]);
  store.prune();
  assert.equal(store.trace(traceId).length, 0, 'spans past the retention are gone');
  assert.equal(store.logs({ traceId }).length, 1, 'recent lines stay');
  store.close();
});

test('a store written by an older launcher (spans keyed without rowid) is migrated with its spans; a span sent twice is kept once', () => {
  const file = join(work, 'old.sqlite');
  const traceId = 'ef'.repeat(16);
  // The table as launchers before schema version 1 created it.
  const old = new DatabaseSync(file);
  old.exec(`create table spans (
    trace_id text not null, span_id text not null, parent_span_id text, service text not null, instance text,
    name text not null, kind integer not null, start real not null, "end" real not null, duration_ms real not null,
    status integer not null, status_message text, order_id text, route text, http_status integer, attributes text not null,
    primary key (trace_id, span_id)
  ) without rowid;
  create index spans_start on spans (start);
  create index spans_order on spans (order_id) where order_id is not null;
  create index spans_service_start on spans (service, start);`);
  const now = Date.now();
  old.prepare('insert into spans values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)').run(traceId, '02'.repeat(8), null, 'orders', 'orders', 'POST /api/checkout', 1, now, now + 5, 5, 0, null, 'order-1', '/api/checkout', 201, '{"a":1}');
  old.close();

  const store = openTelemetryStore(file);
  const span = (name: string): StoredSpan => ({ traceId, spanId: '03'.repeat(8), parentSpanId: '02'.repeat(8), service: 'orders', instance: 'orders', name, kind: 0, start: now + 1, end: now + 2, durationMs: 1, status: 0, statusMessage: null, orderId: null, route: null, httpStatus: null, attributes: {} });
  store.addSpans([span('saga RESERVING')]);
  store.addSpans([span('saga RESERVING (sent again)')]);
  assert.deepEqual(store.trace(traceId).map((s) => [s.name, s.orderId, s.attributes]), [['POST /api/checkout', 'order-1', { a: 1 }], ['saga RESERVING (sent again)', null, {}]]);
  assert.equal(store.searchTraces({ orderId: 'order-1' })[0]?.spans, 2);
  store.close();
  const check = new DatabaseSync(file, { readOnly: true });
  const table = check.prepare("select sql from sqlite_master where type = 'table' and name = 'spans'").get() as { sql: string };
  assert.doesNotMatch(table.sql, /without rowid/i);
  assert.equal((check.prepare('pragma user_version').get() as { user_version: number }).user_version, 1);
  check.close();
  // Opened again, nothing is migrated twice.
  const again = openTelemetryStore(file);
  assert.equal(again.trace(traceId).length, 2);
  again.close();
});

test('the control API refuses cross-site POSTs and takes same-origin and non-browser ones', async () => {
  const l = await launcher(join(work, 'c.sqlite'));
  const post = (headers: Record<string, string>) => fetch(`${l.url}/api/services/nope/restart`, { method: 'POST', headers });
  assert.equal((await post({ origin: 'https://evil.example' })).status, 403);
  assert.equal((await post({ 'sec-fetch-site': 'cross-site' })).status, 403);
  const traces = await fetch(`${l.url}/v1/traces`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' });
  assert.equal(traces.status, 403, 'nor can another site feed the collector');
  // Same origin (the dashboard's own page) and tools without Origin reach the handler (404: no such service).
  assert.equal((await post({ origin: l.url, 'sec-fetch-site': 'same-origin' })).status, 404);
  assert.equal((await post({})).status, 404);
  await l.close();
});
