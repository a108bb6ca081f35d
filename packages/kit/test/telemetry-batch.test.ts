// The kit's batch span processor encodes each span as it ends (ADR 0050). What it sends must be what the SDK's
// BatchSpanProcessor + protobuf exporter would send for the same spans, batched by the same OTEL_BSP_* rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { EncodingSpanProcessor, type EncodedSpans, type EncodingSettings } from '../src/telemetry-batch.ts';
import { currentContext, withContext } from '../src/context.ts';

/** An exporter that keeps what it is given and answers when told (or at once). */
class Capture {
  readonly sent: EncodedSpans[] = [];
  readonly contexts: unknown[] = [];
  readonly pending: ((result: ExportResult) => void)[] = [];
  shutDown = false;
  private readonly answer: 'at once' | 'when told' | 'fail' | 'never';
  constructor(answer: 'at once' | 'when told' | 'fail' | 'never' = 'at once') {
    this.answer = answer;
  }
  export(spans: EncodedSpans, done: (result: ExportResult) => void): void {
    this.sent.push(spans);
    this.contexts.push(currentContext());
    if (this.answer === 'at once') done({ code: ExportResultCode.SUCCESS });
    else if (this.answer === 'fail') done({ code: ExportResultCode.FAILED, error: new Error('collector said no') });
    else if (this.answer === 'when told') this.pending.push(done);
  }
  release(): void {
    for (const done of this.pending.splice(0)) done({ code: ExportResultCode.SUCCESS });
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {
    this.shutDown = true;
  }
}

const settings = (over: Partial<EncodingSettings> = {}): EncodingSettings => ({ scheduledDelayMillis: 60_000, maxExportBatchSize: 512, maxQueueSize: 8192, ...over });

/** A tracer whose spans go to the processor under test and, as the SDK keeps them, to `kept`. */
function tracerFor(processor: EncodingSpanProcessor, service = 'orders', kept = new InMemorySpanExporter()) {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service, 'host.cpus': 2 }), spanProcessors: [processor, new SimpleSpanProcessor(kept)] });
  return { provider, kept, tracer: (scope = '@bazaar/kit') => provider.getTracer(scope, '1.0.0') };
}

function endSpans(tracer: ReturnType<BasicTracerProvider['getTracer']>, n: number, prefix = 'span'): void {
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`${prefix} ${i}`, { kind: SpanKind.CLIENT, attributes: { 'db.query.text': `SELECT ${i}`, 'db.system.name': 'sqlite' } });
    span.end();
  }
}

const sdkBytes = (spans: ReadableSpan[]): string => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? new Uint8Array()).toString('hex');
const hex = (spans: EncodedSpans): string => Buffer.from(spans.bytes).toString('hex');

test("an export is byte for byte the SDK's protobuf request for the same spans, several resources and scopes included", async () => {
  const exporter = new Capture();
  const processor = new EncodingSpanProcessor(exporter, settings());
  const kept = new InMemorySpanExporter();
  const a = tracerFor(processor, 'orders', kept);
  const b = tracerFor(processor, 'payments', kept);
  // Interleaved: the export groups by resource, then scope, in the order first seen, as the SDK's serializer does.
  endSpans(a.tracer(), 2, 'a');
  endSpans(b.tracer('other-scope'), 1, 'b');
  endSpans(a.tracer('other-scope'), 2, 'c');
  endSpans(a.tracer(), 1, 'd');
  const parent = a.tracer().startSpan('POST /api/checkout', { kind: SpanKind.SERVER });
  a.tracer().startSpan('saga RESERVING', {}, trace.setSpan(ROOT_CONTEXT, parent)).end();
  parent.end();
  await processor.forceFlush();
  assert.equal(exporter.sent.length, 1, 'one export');
  assert.equal(exporter.sent[0]?.count, 8);
  // The SDK's serializer over the same spans in the order they ended.
  assert.equal(hex(exporter.sent[0] as EncodedSpans), sdkBytes(kept.getFinishedSpans()));
});

test('a full batch goes at once; the rest waits for the scheduled delay or a flush; unsampled spans are not sent', async () => {
  const exporter = new Capture();
  const processor = new EncodingSpanProcessor(exporter, settings({ maxExportBatchSize: 3 }));
  const { tracer, kept } = tracerFor(processor);
  endSpans(tracer(), 7);
  const unsampled = tracer().startSpan('unsampled', {}, trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE }));
  // The SDK's sampler drops it at the start: make one that says unsampled and reaches onEnd anyway.
  processor.onEnd({ ...(kept.getFinishedSpans()[0] as ReadableSpan), spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'c7ad6b7169203331', traceFlags: TraceFlags.NONE }) } as ReadableSpan);
  unsampled.end();
  // The first went as it filled; the second as soon as the first was answered (one in flight at a time).
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(exporter.sent.map((s) => s.count), [3, 3], 'two full batches sent as they filled');
  const sampled = kept.getFinishedSpans().filter((s) => s.name !== 'unsampled');
  assert.equal(hex(exporter.sent[0] as EncodedSpans), sdkBytes(sampled.slice(0, 3)));
  assert.equal(hex(exporter.sent[1] as EncodedSpans), sdkBytes(sampled.slice(3, 6)));
  await processor.forceFlush();
  assert.deepEqual(exporter.sent.map((s) => s.count), [3, 3, 1], 'the seventh on the flush');
  assert.equal(hex(exporter.sent[2] as EncodedSpans), sdkBytes(sampled.slice(6)));
});

test('the scheduled delay sends what has ended, outside the context of the request that ended it', async () => {
  const exporter = new Capture();
  const processor = new EncodingSpanProcessor(exporter, settings({ scheduledDelayMillis: 10 }));
  const { tracer } = tracerFor(processor);
  withContext({ requestId: 'r-1', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }, () => endSpans(tracer(), 2));
  const waitUntil = Date.now() + 10_000;
  while (exporter.sent.length === 0) {
    assert.ok(Date.now() < waitUntil, 'no export 10 s after spans ended with a 10 ms scheduled delay');
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(exporter.sent[0]?.count, 2);
  assert.equal(exporter.contexts[0], undefined, 'the export runs in no request context');
});

test('one export in flight at a time; beyond the queue size spans are dropped; a failed export does not stop the next', async () => {
  const exporter = new Capture('when told');
  const processor = new EncodingSpanProcessor(exporter, settings({ maxExportBatchSize: 2, maxQueueSize: 4 }));
  const { tracer } = tracerFor(processor);
  endSpans(tracer(), 10);
  // 2 in flight, 4 waiting (two batches), 4 dropped.
  assert.deepEqual(exporter.sent.map((s) => s.count), [2], 'only the first batch is in flight');
  for (let round = 0; round < 3; round++) {
    exporter.release();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(exporter.sent.map((s) => s.count), [2, 2, 2], 'the waiting batches follow one by one; the rest were dropped');
  exporter.release();
  await processor.forceFlush();
  assert.equal(exporter.sent.length, 3, 'nothing else was kept');

  const failing = new Capture('fail');
  const p2 = new EncodingSpanProcessor(failing, settings({ maxExportBatchSize: 1 }));
  endSpans(tracerFor(p2).tracer(), 3);
  await p2.forceFlush();
  assert.deepEqual(failing.sent.map((s) => s.count), [1, 1, 1], 'every batch tried although each failed');
});

test('spans recorded from their parts (record) batch, queue and drop as ended spans do, in the same export', async () => {
  const exporter = new Capture('when told');
  const processor = new EncodingSpanProcessor(exporter, settings({ maxExportBatchSize: 2, maxQueueSize: 4 }));
  const resource = resourceFromAttributes({ 'service.name': 'inventory' });
  const scope = { name: '@bazaar/kit', version: '1.0.0' };
  const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };
  const statement = Object.freeze({ 'db.system.name': 'sqlite', 'db.query.text': 'select 1' });
  for (let i = 0; i < 10; i++) processor.record(resource, scope, 'sqlite SELECT', SpanKind.CLIENT, parent, 1_765_000_000_000 + i, 1_765_000_000_001 + i, statement);
  // 2 in flight, 4 waiting (two batches), 4 dropped: as for ended spans (previous test).
  assert.deepEqual(exporter.sent.map((s) => s.count), [2]);
  for (let round = 0; round < 3; round++) {
    exporter.release();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(exporter.sent.map((s) => s.count), [2, 2, 2]);
  exporter.release();
  await processor.forceFlush();
  assert.equal(exporter.sent.length, 3);

  // Mixed with ended spans: the batch counts both kinds, and they go in the same export.
  const mixed = new Capture();
  const p2 = new EncodingSpanProcessor(mixed, settings({ maxExportBatchSize: 3 }));
  const { tracer } = tracerFor(p2, 'inventory');
  endSpans(tracer(), 1);
  p2.record(resource, scope, 'sqlite SELECT', SpanKind.CLIENT, parent, 1_765_000_000_000, 1_765_000_000_001, statement);
  p2.record(resource, scope, 'sqlite SELECT', SpanKind.CLIENT, parent, 1_765_000_000_002, 1_765_000_000_003, statement);
  assert.deepEqual(mixed.sent.map((s) => s.count), [3], 'a full batch of three goes at once');
  assert.ok(Buffer.from(mixed.sent[0]?.bytes ?? []).includes(Buffer.from('select 1')), 'the recorded spans are in it');
  await p2.shutdown();
  p2.record(resource, scope, 'sqlite SELECT', SpanKind.CLIENT, parent, 1, 2, statement);
  await p2.forceFlush();
  assert.equal(mixed.sent.length, 1, 'nothing is recorded after shutdown');
});

test('an export that never answers lets the next one go after the export timeout; shutdown flushes and stops', async () => {
  const exporter = new Capture('never');
  const processor = new EncodingSpanProcessor(exporter, settings({ maxExportBatchSize: 1, exportTimeoutMillis: 20 }));
  const { tracer } = tracerFor(processor);
  endSpans(tracer(), 2);
  assert.equal(exporter.sent.length, 1);
  await processor.forceFlush();
  assert.equal(exporter.sent.length, 2, 'the second export went once the first timed out');

  const ok = new Capture();
  const p2 = new EncodingSpanProcessor(ok, settings());
  const t2 = tracerFor(p2).tracer();
  endSpans(t2, 3);
  await p2.shutdown();
  assert.deepEqual(ok.sent.map((s) => s.count), [3], 'shutdown sent what had ended');
  assert.ok(ok.shutDown, 'and shut the exporter down');
  endSpans(t2, 1);
  await p2.forceFlush();
  assert.equal(ok.sent.length, 1, 'nothing is taken after shutdown');
});

test('a span that cannot be encoded is dropped without a trace in the export: no half-written span, no empty group', async () => {
  const exporter = new Capture();
  const processor = new EncodingSpanProcessor(exporter, settings());
  const kept = new InMemorySpanExporter();
  const other = tracerFor(new EncodingSpanProcessor(new Capture(), settings()), 'payments', kept);
  other.tracer().startSpan('template').end();
  const template = kept.getFinishedSpans()[0] as ReadableSpan;
  // Its context answers the sampling check, then throws while it is being encoded (the ids come after the tag).
  let calls = 0;
  const broken = { ...template, spanContext: () => {
    calls += 1;
    if (calls > 1) throw new Error('no context');
    return template.spanContext();
  } } as unknown as ReadableSpan;
  processor.onEnd(broken);
  const good = tracerFor(processor, 'orders');
  endSpans(good.tracer(), 2);
  await processor.forceFlush();
  assert.equal(exporter.sent.length, 1);
  assert.equal(exporter.sent[0]?.count, 2);
  assert.equal(hex(exporter.sent[0] as EncodedSpans), sdkBytes(good.kept.getFinishedSpans()), 'only the two good spans, under their own resource');
});
