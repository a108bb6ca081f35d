// The kit's OTLP protobuf encoder must write exactly what the SDK's ProtobufTraceSerializer writes for the same
// spans: any collector reads it the same, and the launcher's reader (tested against the SDK) reads it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, createTraceState, trace, type Attributes, type TimeInput } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeExportResponse, encodeTraceExport, SpanBatch } from '../src/otlp-encode.ts';
import { LiveSpan, RecordedSpan } from '../src/telemetry-spans.ts';

function sdkSpans(serviceName: string, build: (tracer: ReturnType<BasicTracerProvider['getTracer']>) => void, scope = { name: 'test-scope', version: '1.2.3' }): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.instance.id': 'pod-7', 'host.cpus': 2, 'deployment.canary': false }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  build(provider.getTracer(scope.name, scope.version));
  return exporter.getFinishedSpans();
}

function assertSameBytes(spans: ReadableSpan[], what: string) {
  const sdk = ProtobufTraceSerializer.serializeRequest(spans);
  assert.ok(sdk, 'the SDK serialised the spans');
  const ours = encodeTraceExport(spans);
  assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(sdk).toString('hex'), what);
}

test('every kind of attribute, event, link, status and parent encodes byte for byte as the SDK does', () => {
  const remote = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: createTraceState('vendor=abc,other=1') };
  const spans = sdkSpans('orders', (tracer) => {
    const root = tracer.startSpan('POST /api/checkout', { kind: SpanKind.SERVER }, trace.setSpanContext(ROOT_CONTEXT, remote));
    root.setAttributes({
      'http.request.method': 'POST',
      'url.path': '/api/checkout',
      'http.response.status_code': 201,
      'big.int': 2 ** 40 + 3,
      'huge.int': 2 ** 62,
      'negative.int': -42,
      'very.negative': -(2 ** 50),
      'a.double': 3.25,
      'not.finite': Number.POSITIVE_INFINITY,
      'nan': Number.NaN,
      'flag.on': true,
      'flag.off': false,
      'empty.string': '',
      'unicode': 'Crème brûlée — 東京 🚀',
      'strings': ['a', 'bé', ''],
      'numbers': [1, -2, 2.5],
      'booleans': [true, false],
      'with.holes': ['x', null, undefined] as unknown as string[],
      'long.text': 'SELECT * FROM orders WHERE id = $1 '.repeat(40),
    });
    root.addEvent('cart.priced', { lines: 3, 'total.cents': 12_990 });
    root.addEvent('no-attributes');
    root.addLink({ context: { traceId: '1af7651916cd43dd8448eb211c80319c', spanId: 'c7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true }, attributes: { 'link.kind': 'caused-by' } });
    root.addLink({ context: { traceId: '2af7651916cd43dd8448eb211c80319c', spanId: 'd7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, traceState: createTraceState('k=v') } });
    const child = tracer.startSpan('postgresql SELECT', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, root));
    child.recordException(new Error('connection terminated'));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection terminated' });
    child.end();
    const internal = tracer.startSpan('saga step', {}, trace.setSpan(ROOT_CONTEXT, root));
    internal.setStatus({ code: SpanStatusCode.OK });
    internal.end();
    for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER]) tracer.startSpan(`kind ${kind}`, { kind }).end();
    root.end();
  });
  assert.equal(spans.length, 5);
  assertSameBytes(spans, 'the same bytes as the SDK');
});

test('spans of several resources and scopes are grouped in the order first seen, as the SDK groups them', () => {
  const a = sdkSpans('cart', (t) => t.startSpan('one').end(), { name: 'scope-a', version: '1' });
  const b = sdkSpans('inventory', (t) => t.startSpan('two').end(), { name: 'scope-b', version: '' });
  const c = sdkSpans('cart', (t) => t.startSpan('three').end(), { name: 'scope-c', version: '2' });
  assertSameBytes([...a, ...b, ...c, ...a], 'several resources and scopes');
  assertSameBytes([], 'an empty export');
});

test("the kit's own spans (recorded SQL statements with shared frozen attributes, live spans) encode as the SDK encodes them, cache or not", () => {
  const sink = { processors: [], resource: resourceFromAttributes({ 'service.name': 'payments', 'service.version': '0.1.0' }), scope: { name: '@bazaar/kit', version: '0.1.0' } };
  const statement: Attributes = Object.freeze({ 'db.system.name': 'postgresql', 'db.namespace': 'payments', 'db.operation.name': 'INSERT', 'db.query.text': 'insert into "intents" ("id", "order_id") values ($1, $2) returning *' });
  const parent = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const live = new LiveSpan('POST /internal/payments', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST' }, startTime: 1_765_000_000_123.456 }, parent, sink);
  const local = { ...live.spanContext(), isRemote: false };
  const spans: ReadableSpan[] = [
    new RecordedSpan('postgresql INSERT', { attributes: statement, startTime: 1_765_000_000_200, endTime: 1_765_000_000_201.5 }, local, sink),
    new RecordedSpan('postgresql INSERT', { attributes: statement, startTime: 1_765_000_000_300, endTime: 1_765_000_000_299, error: new Error('duplicate key') }, local, sink),
    new RecordedSpan('redis GET', { startTime: 1_765_000_000_400, endTime: 1_765_000_000_401 }, local, sink),
  ];
  live.setAttribute('http.response.status_code', 201);
  live.end(1_765_000_000_500.25);
  spans.push(live);
  assertSameBytes(spans, 'first export: the frozen attributes are written, then kept');
  assertSameBytes(spans, 'second export: the kept bytes are copied');
  assertSameBytes([...spans].reverse(), 'another order');
});

test('a span recorded from its parts (addRecorded) is byte for byte the SDK encoding of the same span', () => {
  const sink = { processors: [], resource: resourceFromAttributes({ 'service.name': 'inventory', 'service.version': '0.1.0' }), scope: { name: '@bazaar/kit', version: '0.1.0' } };
  const statement: Attributes = Object.freeze({ 'db.system.name': 'sqlite', 'db.namespace': 'inventory', 'db.operation.name': 'UPDATE', 'db.query.text': 'update "stock" set "reserved" = "reserved" + ? where "sku" = ? and "on_hand" - "reserved" >= ?' });
  const cases = [
    { name: 'sqlite UPDATE', kind: SpanKind.CLIENT, attributes: statement, start: 1_765_000_000_200.12353515625, end: 1_765_000_000_201.5, remote: false },
    { name: 'sqlite UPDATE', kind: SpanKind.CLIENT, attributes: statement, start: 1_765_000_000_999.99951171875, end: 1_765_000_001_000.00048828125, remote: true },
    { name: 'redis GET', kind: SpanKind.CLIENT, attributes: Object.freeze({}), start: 1_765_000_000_400, end: 1_765_000_000_399, remote: false },
    { name: 'cache fill', kind: SpanKind.INTERNAL, attributes: { 'cache.hit': false, 'cache.keys': ['a', 'b'], size: 3 }, start: 1_765_000_000_000, end: 1_765_000_000_000, remote: false },
    { name: 'poll', kind: SpanKind.SERVER, attributes: { 'émoji': '✓ ünïcode' }, start: 1_700_000_000_000.5, end: 1_700_000_000_002.25, remote: true },
  ];
  for (const c of cases) {
    for (const round of ['first', 'again (frozen attributes: kept bytes)']) {
      const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: c.remote };
      const batch = new SpanBatch();
      batch.addRecorded(sink.resource, sink.scope, c.name, c.kind, parent, c.start, c.end, c.attributes);
      const ours = Buffer.from(batch.take());
      // The span id is new: read it where it follows the trace id, and give the RecordedSpan the same one.
      const at = ours.indexOf(Buffer.from(`0a10${parent.traceId}1208`, 'hex'));
      assert.ok(at >= 0, 'trace id then an 8-byte span id');
      const spanId = ours.subarray(at + 20, at + 28).toString('hex');
      assert.notEqual(spanId, '0000000000000000');
      const recorded = new RecordedSpan(c.name, { kind: c.kind, attributes: c.attributes, startTime: c.start, endTime: c.end }, parent, sink);
      const same = Object.assign(Object.create(Object.getPrototypeOf(recorded) as object) as RecordedSpan, recorded, { spanContext: () => ({ ...recorded.spanContext(), spanId }) });
      const sdk = ProtobufTraceSerializer.serializeRequest([same]);
      assert.ok(sdk);
      assert.equal(ours.toString('hex'), Buffer.from(sdk).toString('hex'), `${c.name} ${c.start}–${c.end}, ${round}`);
    }
  }
});

test("a live span's times, kept in ms or as given, encode as the SDK encodes the HrTimes it shows", () => {
  const sink = { processors: [], resource: resourceFromAttributes({ 'service.name': 'orders' }), scope: { name: '@bazaar/kit' } };
  const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const cases: [string, TimeInput | undefined, TimeInput | undefined][] = [
    ['now, then now', undefined, undefined],
    ['ms with fractions', 1_765_000_000_200.12353515625, 1_765_000_000_999.99951171875],
    ['an end before the start (ms): zero length', 1_765_000_000_500, 1_765_000_000_400.5],
    ['an HrTime start, an end in ms', [1_765_000_000, 123_456_789], 1_765_000_001_000.25],
    ['a Date start, an HrTime end before it', new Date(1_765_000_002_000), [1_765_000_001, 999_999_999]],
  ];
  for (const [what, start, end] of cases) {
    const span = new LiveSpan('GET /x', { kind: SpanKind.SERVER, startTime: start }, parent, sink);
    assert.deepEqual(span.endTime, [0, 0], 'no end before it ends');
    span.end(end);
    const [s0, s1] = span.startTime;
    const [e0, e1] = span.endTime;
    assert.ok(e0 > s0 || (e0 === s0 && e1 >= s1), `${what}: ends at or after its start`);
    assert.deepEqual(span.duration, [e0 - s0 - (e1 < s1 ? 1 : 0), e1 < s1 ? e1 - s1 + 1e9 : e1 - s1]);
    assertSameBytes([span], what);
  }
});

test('an id that is not hex is written at its length, zero from the first pair that is not hex (as Buffer writes hex)', () => {
  const sink = { processors: [], resource: resourceFromAttributes({ 'service.name': 'x' }), scope: { name: 's' } };
  const parent = { traceId: '4bf92f3577b34da6a3ce929d0e0e47zz', spanId: '00f0g7aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const batch = new SpanBatch();
  batch.addRecorded(sink.resource, sink.scope, 'x', SpanKind.CLIENT, parent, 1, 2, {});
  const ours = Buffer.from(batch.take());
  const expectTrace = Buffer.alloc(16);
  expectTrace.write(parent.traceId, 'hex');
  assert.ok(ours.includes(Buffer.concat([Buffer.from('0a10', 'hex'), expectTrace])), 'trace id: 15 bytes, then zero');
  const expectParent = Buffer.alloc(8);
  expectParent.write(parent.spanId, 'hex');
  assert.equal(expectParent.toString('hex'), '00f0000000000000');
  assert.ok(ours.includes(Buffer.concat([Buffer.from('2208', 'hex'), expectParent])), 'parent span id: 2 bytes, then zero');
  // A character outside ASCII (and an id shorter than its pairs) stops the same way.
  const odd = new SpanBatch();
  odd.addRecorded(sink.resource, sink.scope, 'x', SpanKind.CLIENT, { ...parent, traceId: '4bf92f3577b34da6a3ce929d0e0e4é36', spanId: '00f067aa0ba902b' }, 1, 2, {});
  const oddBytes = Buffer.from(odd.take());
  const oddTrace = Buffer.alloc(16);
  oddTrace.write('4bf92f3577b34da6a3ce929d0e0e4é36', 'hex');
  assert.ok(oddBytes.includes(Buffer.concat([Buffer.from('0a10', 'hex'), oddTrace])), 'trace id: 14 bytes, then zero');
  assert.ok(oddBytes.includes(Buffer.from('220700f067aa0ba902', 'hex')), 'a 15-character span id: its 7 whole bytes');
});

test('a large export (a full batch of 512 spans) grows the buffer and still matches', () => {
  const spans = sdkSpans('reports', (tracer) => {
    for (let i = 0; i < 512; i++) tracer.startSpan(`span ${i}`, { attributes: { i, text: 'x'.repeat(i % 300) } }).end();
  });
  assertSameBytes(spans, '512 spans');
  assert.ok(encodeTraceExport(spans).length > 64 * 1024, 'larger than the first buffer');
});

test("the collector's answer reads as the SDK's deserializer reads it, without loading it", () => {
  const partial = (rejected: number | undefined, message: string | undefined): Buffer => {
    const body: number[] = [];
    if (rejected !== undefined) body.push(0x08, ...varint(rejected));
    if (message !== undefined) body.push(0x12, ...varint(Buffer.byteLength(message)), ...Buffer.from(message));
    return Buffer.from([0x0a, ...varint(body.length), ...body]);
  };
  function varint(n: number): number[] {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  }
  const unknownFirst = Buffer.concat([Buffer.from([0x18, 0x05, 0x25, 1, 2, 3, 4, 0x31, 1, 2, 3, 4, 5, 6, 7, 8, 0x3a, 0x02, 0x41, 0x42]), partial(3, 'three spans had no name')]);
  for (const [what, bytes] of [
    ['empty (all accepted)', Buffer.alloc(0)],
    ['partial success, both fields', partial(300, 'bad spans — über')],
    ['partial success, rejected only', partial(2 ** 40, undefined)],
    ['partial success, empty', partial(undefined, undefined)],
    ['unknown fields of every wire type around it', unknownFirst],
  ] as const) {
    assert.deepEqual(decodeExportResponse(bytes), ProtobufTraceSerializer.deserializeResponse(bytes), what);
  }
  assert.throws(() => decodeExportResponse(Buffer.from([0x0a, 0x05, 0x08])), /truncated/);
});

test("a span that cannot be encoded fails its export and leaves nothing behind for the next one", () => {
  const good = sdkSpans('orders', (t) => t.startSpan('good').end());
  const other = sdkSpans('payments', (t) => t.startSpan('other resource').end());
  // A span of a resource not seen before whose context throws half-way through: the error reaches the caller…
  const broken = { ...(other[0] as ReadableSpan), name: 'broken', spanContext: () => { throw new Error('no context'); } } as unknown as ReadableSpan;
  assert.throws(() => encodeTraceExport([...good, broken]), /no context/);
  // …and the next export holds exactly its own spans: no span of the failed call, no empty group of the broken one.
  assertSameBytes(other, 'the export after a failed one');
  assertSameBytes(good, 'and the one after that');
});
