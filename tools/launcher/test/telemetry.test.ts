import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
