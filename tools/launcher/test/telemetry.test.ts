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
import { openTelemetryStore, type StoredSpan, type TelemetryStore } from '../src/telemetry/store.ts';
import { until } from '../src/harness.ts';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';

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

for (const protocol of ['http/protobuf', 'http/json'] as const) {
test(`spans from the real OTLP/HTTP exporter (${protocol}) are stored with their parents, and outlive a restart of the store`, async () => {
  const file = join(work, `a-${protocol.slice(5)}.sqlite`);
  const l = await launcher(file);
  startTelemetry({ service: 'orders', config: { OTEL_SDK_DISABLED: false, OTEL_EXPORTER_OTLP_ENDPOINT: l.url, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=orders-2', OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: 1 } });
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
}

test('the collector answers a malformed export with 400 in its encoding, and another encoding with 415', async () => {
  const l = await launcher(join(work, 'malformed.sqlite'));
  const post = (type: string, body: string | Buffer) => fetch(`${l.url}/v1/traces`, { method: 'POST', headers: { 'content-type': type }, body });
  const protobuf = await post('application/x-protobuf', Buffer.from([0x0a, 0x7f, 0x01]));
  assert.equal(protobuf.status, 400);
  assert.equal(protobuf.headers.get('content-type'), 'application/x-protobuf');
  const status = Buffer.from(await protobuf.arrayBuffer());
  assert.deepEqual([...status.subarray(0, 2)], [0x08, 3], 'a google.rpc.Status with code INVALID_ARGUMENT');
  assert.match(status.subarray(4).toString('utf8'), /length past the end/);
  const json = await post('application/json; charset=utf-8', '{"resourceSpans": [');
  assert.equal(json.status, 400);
  assert.equal(((await json.json()) as { code: number }).code, 3);
  const ok = await post('application/x-protobuf', Buffer.alloc(0));
  assert.equal(ok.status, 200, 'an empty request is a valid export of nothing');
  assert.equal((await ok.arrayBuffer()).byteLength, 0);
  const other = await post('text/plain', 'spans');
  assert.equal(other.status, 415);
  assert.match(((await other.json()) as { message: string }).message, /x-protobuf/);
  await l.close();
});

/** One span of `traceId` as an OTLP/HTTP protobuf export body, as a service's exporter sends it. */
function exportBody(traceId: string, name: string): Buffer {
  const span = { name, kind: 1, spanContext: () => ({ traceId, spanId: '0d'.repeat(8), traceFlags: 1 }), startTime: [1_733_400_000, 0], endTime: [1_733_400_000, 1_000_000], duration: [0, 1_000_000], status: { code: 0 }, attributes: {}, links: [], events: [], ended: true, resource: resourceFromAttributes({ 'service.name': 'orders' }), instrumentationScope: { name: '@bazaar/kit' }, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0 } as unknown as ReadableSpan;
  return Buffer.from(ProtobufTraceSerializer.serializeRequest([span]) as Uint8Array);
}

/** A collector over `store` (a wrapper of `real`) that writes only when told (flush), behind the control server; `post` sends it an export. */
async function manualCollector(store: TelemetryStore, real: TelemetryStore) {
  const collector = createCollector(store, { flushMs: 3_600_000 });
  const server = createControlServer({ processes: new Map(), gatewayUrl: 'http://127.0.0.1:1', telemetry: { store, collector } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return {
    collector,
    post: (type: string, body: string | Buffer) => fetch(url, { method: 'POST', headers: { 'content-type': type }, body }),
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      collector.close();
      real.close();
    },
  };
}

test('exports and log lines received meanwhile are written in one transaction, and each export is answered only once it is stored', async () => {
  const store = openTelemetryStore(join(work, 'group.sqlite'));
  let batches = 0;
  // The store as it is, counting the transactions the collector opens.
  const counted = { ...store, batch: (fn: () => void) => (batches++, store.batch(fn)) };
  const { collector, post, close } = await manualCollector(counted, store);
  try {
    const traceIds = ['1a', '2b', '3c'].map((b) => b.repeat(16));
    const answered: number[] = [];
    const sent = traceIds.map((traceId, i) => post('application/x-protobuf', exportBody(traceId, `export ${i}`)).then((res) => (answered.push(res.status), res)));
    collector.line('orders', 'orders', JSON.stringify({ level: 30, time: Date.now(), msg: 'meanwhile', trace_id: traceIds[0] }));
    await until('the three exports to be received', 10_000, () => (store.trace(traceIds[0] as string).length === 0 && collector.waiting() === 3 ? true : undefined));
    assert.deepEqual(answered, [], 'no export is answered before its spans are written');
    assert.equal(store.trace(traceIds[0] as string).length, 0);
    collector.flush();
    assert.deepEqual((await Promise.all(sent)).map((r) => r.status), [200, 200, 200]);
    assert.equal(batches, 1, 'one transaction for the three exports and the log line');
    assert.deepEqual(traceIds.map((t) => store.trace(t).map((s) => s.name)), [['export 0'], ['export 1'], ['export 2']]);
    assert.deepEqual(store.logs({ traceId: traceIds[0] as string }).map((l) => l.msg), ['meanwhile']);
  } finally {
    await close();
  }
});

test('an export that cannot be written fails alone: the others received with it, and the log lines, are stored', async () => {
  const store = openTelemetryStore(join(work, 'poison.sqlite'));
  const poison = '9f'.repeat(16);
  // The real store, except that it cannot write spans of one trace.
  const picky = {
    ...store,
    addWireSpans: (spans: Parameters<typeof store.addWireSpans>[0]) => {
      if (spans.some((s) => s.traceId === poison)) throw new Error('cannot write this one');
      store.addWireSpans(spans);
    },
  };
  const { collector, post, close } = await manualCollector(picky, store);
  try {
    const traceIds = ['4d'.repeat(16), poison, '5e'.repeat(16)];
    const sent = traceIds.map((traceId, i) => post('application/x-protobuf', exportBody(traceId, `export ${i}`)));
    collector.line('orders', 'orders', JSON.stringify({ level: 30, time: Date.now(), msg: 'beside a bad export', trace_id: traceIds[0] }));
    await until('the three exports to be received', 10_000, () => (collector.waiting() === 3 ? true : undefined));
    collector.flush();
    assert.deepEqual((await Promise.all(sent)).map((r) => r.status), [200, 503, 200]);
    assert.deepEqual(traceIds.map((t) => store.trace(t).map((s) => s.name)), [['export 0'], [], ['export 2']]);
    assert.deepEqual(store.logs({ traceId: traceIds[0] as string }).map((l) => l.msg), ['beside a bad export']);
  } finally {
    await close();
  }
});

test('an export whose write fails is answered 503 UNAVAILABLE (the exporter sends it again), not 200', async () => {
  const store = openTelemetryStore(join(work, 'failing.sqlite'));
  const failing = {
    ...store,
    batch: () => {
      throw new Error('database or disk is full');
    },
  };
  const { collector, post, close } = await manualCollector(failing, store);
  try {
    const sent = post('application/json', '{"resourceSpans":[]}');
    await until('the export to be received', 10_000, () => (collector.waiting() === 1 ? true : undefined));
    collector.flush();
    const res = await sent;
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { code: 14, message: 'database or disk is full' });
  } finally {
    await close();
  }
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
  assert.equal(check.prepare("select 1 from sqlite_master where type = 'table' and name = 'spans'").get(), undefined, 'the per-span table is gone');
  assert.equal((check.prepare('pragma user_version').get() as { user_version: number }).user_version, 3);
  check.close();
  // Opened again, nothing is migrated twice.
  const again = openTelemetryStore(file);
  assert.equal(again.trace(traceId).length, 2);
  again.close();
});

test('a version 2 store (chunks and log lines indexed by the text trace id) gets integer trace keys; its spans and lines are still found', () => {
  const file = join(work, 'v2.sqlite');
  const traceId = '5a'.repeat(16);
  const now = Date.now();
  const v2 = new DatabaseSync(file);
  // The schema as launchers of version 2 created it.
  v2.exec(`create table if not exists span_chunks (
  id integer primary key, trace_id text not null, first_span_id text not null, service text not null, instance text,
  start real not null, "end" real not null, spans integer not null, errors integer not null, order_id text,
  root_name text, first_name text not null, names text not null, body text not null
);
create unique index if not exists span_chunks_trace on span_chunks (trace_id, first_span_id);
create index if not exists span_chunks_end on span_chunks ("end");
create index if not exists span_chunks_order on span_chunks (order_id) where order_id is not null;
create index if not exists span_chunks_service_start on span_chunks (service, start);
create table if not exists logs (
  id integer primary key, time real not null, service text not null, instance text not null, level text not null,
  msg text not null, trace_id text, span_id text, line text not null
);
create index if not exists logs_time on logs (time);
create index if not exists logs_trace on logs (trace_id) where trace_id is not null;
create table if not exists snapshots (time real not null, instance text not null, rss_bytes integer not null, cpu_percent real not null);
create index if not exists snapshots_time on snapshots (time);
`);
  const tuples = JSON.stringify([['04'.repeat(8), null, 'POST /api/checkout', 1, now, now + 5, 0, null, 'order-2', '/api/checkout', 201, {}]]);
  v2.prepare('insert into span_chunks (trace_id, first_span_id, service, instance, start, "end", spans, errors, order_id, root_name, first_name, names, body) values (?,?,?,?,?,?,?,?,?,?,?,?,?)').run(traceId, '04'.repeat(8), 'orders', 'orders', now, now + 5, 1, 0, 'order-2', 'POST /api/checkout', 'POST /api/checkout', 'POST /api/checkout', tuples);
  v2.prepare('insert into logs (time, service, instance, level, msg, trace_id, span_id, line) values (?,?,?,?,?,?,?,?)').run(now, 'orders', 'orders', 'info', 'checkout', traceId, '04'.repeat(8), '{}');
  v2.exec('pragma user_version = 2');
  v2.close();

  const store = openTelemetryStore(file);
  assert.deepEqual(store.trace(traceId).map((s) => s.name), ['POST /api/checkout']);
  assert.deepEqual(store.searchTraces({ orderId: 'order-2' }).map((t) => [t.traceId, t.root, t.spans]), [[traceId, 'POST /api/checkout', 1]]);
  assert.deepEqual(store.searchTraces({ traceId }).map((t) => t.traceId), [traceId]);
  assert.deepEqual(store.logs({ traceId }).map((l) => l.msg), ['checkout']);
  store.close();
  const check = new DatabaseSync(file, { readOnly: true });
  const indexes = (check.prepare("select name from sqlite_master where type = 'index' and name not like 'sqlite_%' order by name").all() as { name: string }[]).map((r) => r.name);
  assert.ok(indexes.includes('span_chunks_trace_key') && indexes.includes('logs_trace_key'), `the integer-key indexes are there: ${indexes.join(', ')}`);
  assert.ok(!indexes.includes('span_chunks_trace') && !indexes.includes('logs_trace'), `the text trace-id indexes are gone: ${indexes.join(', ')}`);
  assert.equal((check.prepare('pragma user_version').get() as { user_version: number }).user_version, 3);
  check.close();
});

test('traces (and their log lines) whose ids share the 52 bits of the integer key are told apart', () => {
  const store = openTelemetryStore(join(work, 'collide.sqlite'));
  const [a, b] = ['0123456789abc' + '1'.repeat(19), '0123456789abc' + '2'.repeat(19)] as [string, string];
  const now = Date.now();
  const span = (traceId: string, name: string, orderId: string): StoredSpan => ({ traceId, spanId: name === 'first' ? '06'.repeat(8) : '07'.repeat(8), parentSpanId: null, service: 'orders', instance: 'orders', name, kind: 1, start: now, end: now + 1, durationMs: 1, status: 0, statusMessage: null, orderId, route: null, httpStatus: null, attributes: {} });
  store.addSpans([span(a, 'first', 'order-a'), span(b, 'second', 'order-b')]);
  store.addLogs([a, b].map((traceId, i) => ({ time: now, service: 'orders', instance: 'orders', level: 'info', msg: `line ${i}`, traceId, spanId: null, line: '{}' })));
  assert.deepEqual(store.trace(a).map((s) => s.name), ['first']);
  assert.deepEqual(store.trace(b).map((s) => s.name), ['second']);
  assert.deepEqual(store.searchTraces({ traceId: b }).map((t) => t.root), ['second']);
  assert.deepEqual(store.searchTraces({ orderId: 'order-a' }).map((t) => [t.traceId, t.root]), [[a, 'first']]);
  assert.deepEqual(store.orderSpans('order-b').map((s) => s.name), ['second']);
  assert.deepEqual(store.logs({ traceId: a }).map((l) => l.msg), ['line 0']);
  store.close();
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

test('a store of schema version 1 (one row per span) is migrated into chunks: traces, searches, order ids and retention work on it', () => {
  const file = join(work, 'v1.sqlite');
  const old = new DatabaseSync(file);
  old.exec(`create table spans (
    trace_id text not null, span_id text not null, parent_span_id text, service text not null, instance text,
    name text not null, kind integer not null, start real not null, "end" real not null, duration_ms real not null,
    status integer not null, status_message text, order_id text, route text, http_status integer, attributes text not null
  );
  create unique index spans_ids on spans (trace_id, span_id);
  pragma user_version = 1;`);
  const now = Date.now();
  const insert = old.prepare('insert into spans values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const [a, b] = ['aa'.repeat(16), 'bb'.repeat(16)];
  insert.run(a, '01'.repeat(8), null, 'gateway', 'gateway', 'gateway', 1, now, now + 50, 50, 0, null, null, '/api/checkout', 202, '{}');
  insert.run(a, '02'.repeat(8), '01'.repeat(8), 'orders', 'orders', 'POST /api/checkout', 1, now + 1, now + 40, 39, 0, null, null, '/api/checkout', 202, '{"http.route":"/api/checkout"}');
  insert.run(a, '03'.repeat(8), '02'.repeat(8), 'orders', 'orders', 'saga RESERVING', 0, now + 2, now + 30, 28, 2, 'out of stock', 'order-9', null, null, '{"bazaar.order_id":"order-9"}');
  insert.run(b, '04'.repeat(8), null, 'catalog', 'catalog', 'GET /api/catalog/products', 1, now - 7_200_000, now - 7_199_990, 10, 0, null, null, '/api/catalog/products', 200, '{}');
  old.close();

  const store = openTelemetryStore(file, { maxAgeMs: 3_600_000 });
  const spans = store.trace(a);
  assert.deepEqual(spans.map((s) => [s.name, s.service, s.parentSpanId]), [['gateway', 'gateway', null], ['POST /api/checkout', 'orders', '01'.repeat(8)], ['saga RESERVING', 'orders', '02'.repeat(8)]]);
  const saga = spans[2] as StoredSpan;
  assert.deepEqual([saga.status, saga.statusMessage, saga.orderId, saga.durationMs, saga.attributes], [2, 'out of stock', 'order-9', 28, { 'bazaar.order_id': 'order-9' }]);
  const [found] = store.searchTraces({ orderId: 'order-9' });
  assert.deepEqual(found && [found.traceId, found.root, found.rootService, found.spans, found.errors, found.services, found.durationMs], [a, 'gateway', 'gateway', 3, 1, ['gateway', 'orders'], 50]);
  assert.deepEqual(store.searchTraces({ route: 'catalog/products' }).map((t) => t.traceId), [b], 'a route is searchable');
  assert.deepEqual(store.searchTraces({ status: 'error' }).map((t) => t.traceId), [a]);
  assert.deepEqual(store.orderSpans('order-9').map((s) => s.spanId), ['01', '02', '03'].map((x) => x.repeat(8)), 'every span of the order\'s trace');
  assert.deepEqual(store.spansSince(now).map((s) => s.name), ['saga RESERVING', 'POST /api/checkout', 'gateway'], 'newest first');
  store.prune(now);
  assert.equal(store.trace(b).length, 0, 'past the retention: gone');
  assert.equal(store.trace(a).length, 3);
  store.close();
});

test('retention by count keeps the newest spans as they are written; one export makes one chunk per trace', () => {
  const store = openTelemetryStore(join(work, 'count.sqlite'), { maxRows: 5 });
  const now = Date.now();
  const span = (trace: string, i: number): StoredSpan => ({ traceId: trace.repeat(16), spanId: i.toString(16).padStart(16, '0'), parentSpanId: null, service: 's', instance: null, name: `n${i}`, kind: 0, start: now + i, end: now + i + 1, durationMs: 1, status: 0, statusMessage: null, orderId: null, route: null, httpStatus: null, attributes: {} });
  // One export: three spans of trace 01, two of 02; then a later export of three spans of trace 03.
  store.addSpans([span('01', 1), span('02', 2), span('01', 3), span('02', 4), span('01', 5)]);
  assert.deepEqual(store.searchTraces({}).map((t) => [t.traceId.slice(0, 2), t.spans]), [['02', 2], ['01', 3]], '5 spans: all kept');
  store.addSpans([span('03', 6), span('03', 7), span('03', 8)]);
  // No prune: the write that went over the limit trimmed the store (a minute's inflow deleted at once held the
  // launcher's loop for seconds after a read load).
  assert.deepEqual(store.searchTraces({}).map((t) => [t.traceId.slice(0, 2), t.spans]), [['03', 3], ['02', 2]], 'whole chunks, the first to arrive out first, at most 5 spans: 01 went');
  // More come: the oldest go again, and only as many as needed.
  store.addSpans([span('04', 9)]);
  assert.deepEqual(store.searchTraces({}).map((t) => t.traceId.slice(0, 2)), ['04', '03'], '02 (2 spans) went for 04 (1): 4 spans kept');
  store.prune(now);
  assert.deepEqual(store.searchTraces({}).map((t) => t.traceId.slice(0, 2)), ['04', '03'], 'a prune within the limits deletes nothing');
  store.close();
  // Opened again, the store counts what it holds: nothing more goes while at most 5 spans are kept.
  const again = openTelemetryStore(join(work, 'count.sqlite'), { maxRows: 5 });
  again.addSpans([span('05', 10)]);
  assert.deepEqual(again.searchTraces({}).map((t) => t.traceId.slice(0, 2)), ['05', '04', '03'], '5 spans: all kept');
  again.addSpans([span('06', 11)]);
  assert.deepEqual(again.searchTraces({}).map((t) => t.traceId.slice(0, 2)), ['06', '05', '04'], '6 spans: the first to arrive (03, 3 spans) went');
  again.close();
  // Opened with a lower limit, a prune takes what is over it at once.
  const lower = openTelemetryStore(join(work, 'count.sqlite'), { maxRows: 2 });
  lower.prune(now);
  assert.deepEqual(lower.searchTraces({}).map((t) => t.traceId.slice(0, 2)), ['06', '05'], 'a lower limit: the prune trims to it');
  lower.close();
});

test('retention by count keeps the newest log lines as they are written', () => {
  const store = openTelemetryStore(join(work, 'log-count.sqlite'), { maxRows: 3 });
  const line = (i: number) => ({ time: Date.now() + i, service: 's', instance: 's', level: 'info', msg: `m${i}`, traceId: null, spanId: null, line: `m${i}` });
  store.addLogs([line(1), line(2)]);
  store.addLogs([line(3), line(4), line(5)]);
  assert.deepEqual(store.logs({ limit: 10 }).map((l) => l.msg).sort(), ['m3', 'm4', 'm5'], 'the first two lines went with the write that brought the store over 3');
  store.close();
});

test("a checkout's story tells each email's kind, attempt and outcome, and names no recipient (none is traced)", async () => {
  const { orderPage } = await import('../src/dashboard/views.ts');
  const span = (name: string, attributes: Record<string, unknown>, status = 0, statusMessage: string | null = null): StoredSpan => ({
    traceId: 'ab'.repeat(16),
    spanId: Math.random().toString(16).slice(2, 18).padEnd(16, '0'),
    parentSpanId: null,
    service: 'notifications',
    instance: 'notifications',
    name,
    kind: 2,
    start: Date.parse('2026-12-06T05:40:04.355Z'),
    end: Date.parse('2026-12-06T05:40:04.487Z'),
    durationMs: 132,
    status,
    statusMessage,
    orderId: 'order-1',
    route: null,
    httpStatus: null,
    attributes,
  });
  const page = orderPage('order-1', [span('smtp send order-confirmed', { 'bazaar.email.kind': 'order-confirmed', 'bazaar.email.attempt': 1 }), span('smtp send order-cancelled', { 'bazaar.email.kind': 'order-cancelled', 'bazaar.email.attempt': 3 }, 2, 'ECONNREFUSED')], []);
  const text = page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  assert.match(text, /sent order-confirmed · \d\d:\d\d:\d\d\.\d{3} · took 132 ms · attempt 1/);
  assert.match(text, /not sent order-cancelled · .* · attempt 3 · ECONNREFUSED/);
  assert.doesNotMatch(text, / to \s*(·|$|<)/, 'no dangling "to" with nobody after it');
  assert.match(text, /Traces keep no recipient/);
});
