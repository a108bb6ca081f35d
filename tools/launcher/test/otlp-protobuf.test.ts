import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { decodeTraces } from '../src/telemetry/otlp.ts';
import { ProtobufError, decodeTracesProtobuf, decodeWireSpans, rpcStatus } from '../src/telemetry/otlp-protobuf.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

/** A finished span as the SDK hands it to an exporter. */
function readable(name: string, spanId: string, opts: { parent?: string; attributes?: ReadableSpan['attributes']; error?: string; kind?: number; start?: [number, number]; end?: [number, number] } = {}): ReadableSpan {
  const resource = resourceFromAttributes({ 'service.name': 'orders', 'service.instance.id': 'orders-2' });
  return {
    name,
    kind: opts.kind ?? 1,
    spanContext: () => ({ traceId: TRACE, spanId, traceFlags: 1 }),
    ...(opts.parent ? { parentSpanContext: { traceId: TRACE, spanId: opts.parent, traceFlags: 1, isRemote: true } } : {}),
    startTime: opts.start ?? [1_733_400_000, 123_456_789],
    endTime: opts.end ?? [1_733_400_000, 124_000_000],
    duration: [0, 543_211],
    status: opts.error ? { code: 2, message: opts.error } : { code: 0 },
    attributes: opts.attributes ?? {},
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: { name: '@bazaar/kit', version: '0.1.0' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  } as ReadableSpan;
}

const spans = [
  readable('POST /api/checkout', 'b7ad6b7169203331', { attributes: { 'http.route': '/api/checkout', 'http.response.status_code': 202, 'bazaar.order_id': 'order-1', ok: true, ratio: 0.25, list: ['a', 'b'], negative: -42 } }),
  readable('sqlite SELECT', 'b7ad6b7169203332', { parent: 'b7ad6b7169203331', kind: 2, attributes: { 'db.query.text': 'select "id" from "orders" where "id" = ? — ünïcode' } }),
  readable('saga AUTHORIZING', 'b7ad6b7169203333', { parent: 'b7ad6b7169203331', error: 'card declined', start: [1_733_400_001, 999_999_999], end: [1_733_400_002, 0] }),
];

test('decodeTracesProtobuf reads what the SDK encodes exactly as the JSON path reads the same spans in JSON', () => {
  const fromProtobuf = decodeTracesProtobuf(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array));
  const fromJson = decodeTraces(JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans) as Uint8Array).toString('utf8')));
  assert.equal(fromProtobuf.length, 3);
  assert.deepEqual(fromProtobuf, fromJson);
  const [server, statement, step] = fromProtobuf as [(typeof fromProtobuf)[0], (typeof fromProtobuf)[0], (typeof fromProtobuf)[0]];
  assert.deepEqual([server.traceId, server.spanId, server.parentSpanId, server.service, server.instance], [TRACE, 'b7ad6b7169203331', null, 'orders', 'orders-2']);
  assert.deepEqual([server.orderId, server.route, server.httpStatus, server.kind], ['order-1', '/api/checkout', 202, 1]);
  assert.deepEqual(server.attributes, { 'http.route': '/api/checkout', 'http.response.status_code': 202, 'bazaar.order_id': 'order-1', ok: true, ratio: 0.25, list: ['a', 'b'], negative: -42 });
  assert.equal(server.start, 1_733_400_000_123.456, 'nanoseconds to the microsecond');
  assert.equal(server.end, 1_733_400_000_124);
  assert.equal(statement.parentSpanId, 'b7ad6b7169203331');
  assert.equal(statement.attributes['db.query.text'], 'select "id" from "orders" where "id" = ? — ünïcode');
  assert.deepEqual([step.status, step.statusMessage, step.start, step.end], [2, 'card declined', 1_733_400_001_999.999, 1_733_400_002_000]);
});

/** Protobuf by hand, for what the SDK never sends. */
const varint = (n: number): number[] => {
  const out: number[] = [];
  for (; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return out;
};
const field = (no: number, body: number[] | Buffer): number[] => [...varint((no << 3) | 2), ...varint(body.length), ...body];
const str = (no: number, s: string): number[] => field(no, Buffer.from(s, 'utf8'));
const hex = (no: number, h: string): number[] => field(no, Buffer.from(h, 'hex'));
const keyValue = (key: string, value: number[]): number[] => field(1, [...str(1, key), ...field(2, value)]);

test('the resource may follow the spans, unknown fields are skipped, kvlists and bytes are read, malformed spans are dropped', () => {
  const span = (spanId: string, extra: number[] = []) => field(2, [...hex(1, TRACE), ...hex(2, spanId), ...str(5, 'work'), ...extra]);
  const kvlist = field(6, keyValue('inner', str(1, 'x')));
  const bytes = field(7, Buffer.from('hi'));
  const body = Buffer.from([
    ...field(1, [
      ...field(2, [
        ...field(1, str(1, '@bazaar/kit')),
        ...span('0000000000000001', [...varint((99 << 3) | 0), 7, ...field(9, [...str(1, 'map'), ...field(2, kvlist)]), ...field(9, [...str(1, 'raw'), ...field(2, bytes)])]),
        ...span('00000001'), // an 4-byte span id: skipped
      ]),
      ...field(1, keyValue('service.name', str(1, 'search'))),
      ...field(3, Buffer.from('https://opentelemetry.io/schemas/1.30.0')),
    ]),
  ]);
  const [only, ...rest] = decodeTracesProtobuf(body);
  assert.equal(rest.length, 0);
  assert.deepEqual([only?.service, only?.spanId, only?.name], ['search', '0000000000000001', 'work']);
  assert.deepEqual(only?.attributes, { map: { inner: 'x' }, raw: Buffer.from('hi').toString('base64') });
  assert.equal(decodeTracesProtobuf(Buffer.alloc(0)).length, 0, 'an empty request holds no spans');
});

test('a truncated or corrupt request is an error, not a partial store', () => {
  const whole = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
  assert.throws(() => decodeTracesProtobuf(whole.subarray(0, whole.length - 7)), ProtobufError);
  assert.throws(() => decodeTracesProtobuf(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), /length past the end/);
  assert.throws(() => decodeTracesProtobuf(Buffer.from([0x0f])), /wire type 7/);
});

test('rpcStatus encodes a google.rpc.Status', () => {
  assert.deepEqual([...rpcStatus(3, 'bad')], [0x08, 3, 0x12, 3, 0x62, 0x61, 0x64]);
  const long = rpcStatus(3, 'x'.repeat(300));
  assert.deepEqual([...long.subarray(0, 5)], [0x08, 3, 0x12, 0xac, 0x02]);
  assert.equal(long.length, 305);
});

test('protobuf spans are stored as their own bytes: searched on by their facts, read back in full, an export sent again replaces its chunks', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { openTelemetryStore } = await import('../src/telemetry/store.ts');
  const dir = mkdtempSync(join(tmpdir(), 'otlp-protobuf-'));
  try {
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
    const wire = decodeWireSpans(body);
    assert.deepEqual(
      wire.map((s) => [s.spanId, s.orderId, s.route, s.status]),
      [
        ['b7ad6b7169203331', 'order-1', '/api/checkout', 0],
        ['b7ad6b7169203332', null, null, 0],
        ['b7ad6b7169203333', null, null, 2],
      ],
    );
    const store = openTelemetryStore(join(dir, 't.sqlite'));
    store.addWireSpans(wire);
    store.addWireSpans(decodeWireSpans(body));
    assert.deepEqual(store.trace(TRACE), decodeTracesProtobuf(body).sort((a, b) => a.start - b.start), 'every field back as a full decode gives it');
    const [summary, ...others] = store.searchTraces({ orderId: 'order-1' });
    assert.equal(others.length, 0);
    assert.deepEqual([summary?.traceId, summary?.spans, summary?.errors, summary?.root], [TRACE, 3, 1, 'POST /api/checkout'], 'sent twice, counted once');
    assert.equal(store.searchTraces({ route: '/api/checkout' }).length, 1);
    assert.deepEqual(store.orderSpans('order-1').map((s) => s.name), ['POST /api/checkout', 'sqlite SELECT', 'saga AUTHORIZING']);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
