import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode, TraceFlags, type Span } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { Type } from 'typebox';
import { TelemetryConfig, batchSettings, otlpProcessor, failSpan, inSpan, recordSpan, startSpan, startTelemetry, type TelemetrySettings } from '../src/telemetry.ts';
import { LiveSpan } from '../src/telemetry-spans.ts';
import { EncodingSpanProcessor } from '../src/telemetry-batch.ts';
import { loadConfig } from '../src/config.ts';
import { withContext } from '../src/context.ts';

const settings = (sampler: TelemetrySettings['OTEL_TRACES_SAMPLER']): TelemetrySettings => ({ OTEL_SDK_DISABLED: false, OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: 1 });

function start(sampler: TelemetrySettings['OTEL_TRACES_SAMPLER']): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  startTelemetry({ service: 'kit-test', version: '9.9.9', config: settings(sampler), exporter, processor: new SimpleSpanProcessor(exporter) });
  return exporter;
}

for (const sampler of ['parentbased_always_on', 'traceidratio'] as const) {
  test(`recordSpan: a finished child of the current span, with its times, attributes and resource (${sampler})`, async () => {
    const exporter = start(sampler);
    const attributes = Object.freeze({ 'db.system.name': 'sqlite', 'db.query.text': 'select 1' });
    await inSpan('parent', {}, async () => {
      recordSpan('sqlite SELECT', { startTime: 1_700_000_000_000.5, endTime: 1_700_000_000_003, attributes });
    });
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'parent');
    const child = spans.find((s) => s.name === 'sqlite SELECT');
    assert.ok(parent && child, `both spans exported, got ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(child.spanContext().traceId, parent.spanContext().traceId, 'same trace');
    assert.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId, 'child of the current span');
    assert.match(child.spanContext().spanId, /^[0-9a-f]{16}$/);
    assert.notEqual(child.spanContext().spanId, parent.spanContext().spanId);
    assert.equal(child.spanContext().traceFlags, TraceFlags.SAMPLED);
    assert.equal(child.kind, 2, 'CLIENT by default');
    assert.equal(hrTimeToMilliseconds(child.startTime), 1_700_000_000_000.5);
    assert.equal(hrTimeToMilliseconds(child.endTime), 1_700_000_000_003);
    assert.equal(hrTimeToMilliseconds(child.duration), 2.5);
    assert.deepEqual({ ...child.attributes }, { ...attributes });
    assert.equal(child.status.code, SpanStatusCode.UNSET);
    assert.equal(child.resource.attributes['service.name'], 'kit-test');
    assert.equal(child.instrumentationScope.name, '@bazaar/kit');
    assert.equal(child.ended, true);
  });
}

test('recordSpan: an error marks the span failed and records the exception', async () => {
  const exporter = start('parentbased_always_on');
  await inSpan('parent', {}, async () => {
    recordSpan('sqlite INSERT', { startTime: 1000, endTime: 1002, error: new Error('UNIQUE constraint failed') });
  });
  const child = exporter.getFinishedSpans().find((s) => s.name === 'sqlite INSERT');
  assert.ok(child, 'exported');
  assert.equal(child.status.code, SpanStatusCode.ERROR);
  assert.equal(child.status.message, 'UNIQUE constraint failed');
  const event = child.events.find((e) => e.name === 'exception');
  assert.ok(event, 'exception event');
  assert.equal(event.attributes?.['exception.message'], 'UNIQUE constraint failed');
  assert.equal(event.attributes?.['exception.type'], 'Error');
});

test('recordSpan: nothing outside a span, nothing under an unsampled one; a remote parent is marked remote', () => {
  const exporter = start('parentbased_always_on');
  recordSpan('orphan', { startTime: 1000, endTime: 1001 });
  withContext({ requestId: 'r', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 }, () => recordSpan('unsampled', { startTime: 1000, endTime: 1001 }));
  withContext({ requestId: 'r', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }, () => recordSpan('remote child', { startTime: 1000, endTime: 1001 }));
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ['remote child']);
  const child = exporter.getFinishedSpans()[0];
  assert.equal(child?.parentSpanContext?.spanId, 'b7ad6b7169203331');
  assert.equal(child?.parentSpanContext?.isRemote, true);
  assert.equal(child?.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
});

test('recordSpan: span ids are distinct over many spans (the pooled generator refills)', async () => {
  const exporter = start('parentbased_always_on');
  await inSpan('parent', {}, async () => {
    for (let i = 0; i < 2000; i++) recordSpan('q', { startTime: 1000, endTime: 1001 });
  });
  const ids = new Set(exporter.getFinishedSpans().filter((s) => s.name === 'q').map((s) => s.spanContext().spanId));
  assert.equal(ids.size, 2000);
});

test('the batch span processor: a batch every 2 s of at most 2048 spans by default; the standard OTEL_BSP_* variables set it', () => {
  const schema = Type.Object(TelemetryConfig);
  assert.deepEqual(batchSettings(loadConfig(schema, {})), { scheduledDelayMillis: 2000, maxExportBatchSize: 2048, maxQueueSize: 8192 });
  assert.deepEqual(batchSettings(loadConfig(schema, { OTEL_BSP_SCHEDULE_DELAY: '5000', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64', OTEL_BSP_MAX_QUEUE_SIZE: '2048' })), {
    scheduledDelayMillis: 5000,
    maxExportBatchSize: 64,
    maxQueueSize: 2048,
  });
  assert.equal(batchSettings(loadConfig(schema, { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096', OTEL_BSP_MAX_QUEUE_SIZE: '1000' })).maxExportBatchSize, 1000, 'a batch never holds more than the queue');
  assert.throws(() => loadConfig(schema, { OTEL_BSP_SCHEDULE_DELAY: 'soon' }), /OTEL_BSP_SCHEDULE_DELAY/);
  assert.deepEqual(batchSettings(settings('parentbased_always_on')), { scheduledDelayMillis: 2000, maxExportBatchSize: 2048, maxQueueSize: 8192 }, 'settings built without them');
});

test('the OTLP protocol: binary protobuf by default, JSON when OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL asks; grpc is refused', () => {
  const schema = Type.Object(TelemetryConfig);
  const url = 'http://127.0.0.1:1/v1/traces';
  assert.ok(otlpProcessor(url, loadConfig(schema, {})) instanceof EncodingSpanProcessor, "protobuf: the kit's encoding processor");
  assert.ok(otlpProcessor(url, loadConfig(schema, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })) instanceof BatchSpanProcessor, "JSON: the SDK's batch processor");
  assert.ok(otlpProcessor(url, loadConfig(schema, { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })) instanceof EncodingSpanProcessor, 'the traces variable wins');
  assert.throws(() => loadConfig(schema, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /OTEL_EXPORTER_OTLP_PROTOCOL/);
});

/** The same life of a span (attributes, events, a failure, a new name) through startSpan, its fields as exported. */
function liveSpanStory(error: Error): { exported: Record<string, unknown>; native: boolean } {
  const span = startSpan('GET /thing', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', dropped: undefined as unknown as string } });
  span.setAttribute('http.route', '/thing');
  span.setAttributes({ 'bazaar.order_id': 'o-1', list: ['a', 'b'] });
  span.addEvent('retry', { attempt: 2 });
  failSpan(span, error);
  span.setStatus({ code: SpanStatusCode.OK });
  span.updateName('GET /things/:id');
  span.end();
  span.setAttribute('after', 'end');
  const readable = span as unknown as ReadableSpan;
  const exported = {
    name: readable.name,
    kind: readable.kind,
    attributes: { ...readable.attributes },
    status: readable.status,
    events: readable.events.map((e) => ({ name: e.name, attributes: e.attributes })),
    links: readable.links,
    dropped: [readable.droppedAttributesCount, readable.droppedEventsCount, readable.droppedLinksCount],
    recording: span.isRecording(),
    ended: readable.ended,
    resource: readable.resource.attributes['service.name'],
    scope: [readable.instrumentationScope.name, readable.instrumentationScope.version],
    sampled: span.spanContext().traceFlags,
  };
  return { exported, native: span instanceof LiveSpan };
}

test('startSpan: under the default sampler the kit builds the span itself, and it exports as the SDK would have built it', () => {
  const error = new TypeError('boom');
  start('parentbased_always_on');
  const fast = liveSpanStory(error);
  // traceidratio (ratio 1) asks the sampler: the SDK's own span.
  start('traceidratio');
  const sdk = liveSpanStory(error);
  assert.equal(fast.native, true, 'the fast path is taken under parentbased_always_on');
  assert.equal(sdk.native, false, 'the SDK path under a sampler that must be asked');
  assert.deepEqual(fast.exported, sdk.exported);
});

test('startSpan: parents, new traces and what is not sampled, on the fast path', async (t) => {
  // The tracer is the process's (unit test files share one): leave the default sampler behind, even on failure.
  t.after(() => void start('parentbased_always_on'));
  const exporter = start('parentbased_always_on');
  const root = startSpan('root');
  assert.match(root.spanContext().traceId, /^[0-9a-f]{32}$/);
  assert.equal((root as unknown as ReadableSpan).parentSpanContext, undefined, 'a new trace has no parent');
  const remote = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const child = startSpan('child of remote', { parent: remote });
  assert.equal(child.spanContext().traceId, remote.traceId);
  assert.deepEqual((child as unknown as ReadableSpan).parentSpanContext, remote);
  const unsampled = startSpan('child of unsampled', { parent: { ...remote, traceFlags: TraceFlags.NONE } });
  assert.equal(unsampled.isRecording(), false, 'an unsampled parent: the SDK path, nothing recorded');
  let inner: Span | undefined;
  await inSpan('outer', {}, async (outer) => {
    inner = startSpan('inner');
    assert.equal((inner as unknown as ReadableSpan).parentSpanContext?.spanId, outer.spanContext().spanId, 'the current span is the parent');
    assert.notEqual((inner as unknown as ReadableSpan).parentSpanContext?.isRemote, true, 'a local parent');
    assert.equal(inner.spanContext().traceId, outer.spanContext().traceId);
  });
  for (const s of [root, child, unsampled, inner as Span]) s.end();
  root.end();
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name).sort(), ['child of remote', 'inner', 'outer', 'root'], 'each sampled span exported once; a second end() does nothing');
  const started = 1_700_000_000_000.25;
  const timed = startSpan('timed', { startTime: started });
  timed.end(started + 1.5);
  const timedSpan = exporter.getFinishedSpans().find((s) => s.name === 'timed');
  assert.equal(timedSpan && hrTimeToMilliseconds(timedSpan.duration), 1.5);
  const backwards = startSpan('backwards', { startTime: started });
  backwards.end(started - 10);
  const b = exporter.getFinishedSpans().find((s) => s.name === 'backwards');
  assert.deepEqual(b?.duration, [0, 0], 'an end before the start makes a zero-length span');
  start('parentbased_always_off');
  assert.equal(startSpan('unsampled root').isRecording(), false, 'parentbased_always_off: a new trace is not sampled');
});
