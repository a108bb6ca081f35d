/**
 * `node packages/kit/bench/otlp-encode.ts [rounds]`: CPU per span of the
 * SDK's OTLP protobuf serializer against the kit's encoder (ADR 0049), on
 * one batch shaped like a checkout's (two thirds SQL statement spans sharing
 * frozen attributes, one third HTTP server spans), in interleaved rounds so
 * both see the same machine. Also checks once that both write the same bytes.
 */
import { SpanKind, TraceFlags, type Attributes } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { encodeTraceExport } from '../src/otlp-encode.ts';
import { LiveSpan, RecordedSpan } from '../src/telemetry-spans.ts';

const rounds = Number(process.argv[2] ?? 5);
const sink = { processors: [], resource: resourceFromAttributes({ 'service.name': 'orders', 'service.version': '0.1.0', 'service.instance.id': 'orders-1' }), scope: { name: '@bazaar/kit', version: '0.1.0' } };
const statements: Attributes[] = [];
for (let i = 0; i < 20; i++) {
  statements.push(Object.freeze({ 'db.system.name': 'postgresql', 'db.namespace': 'orders', 'db.operation.name': 'SELECT', 'db.query.text': `select "id", "status", "user_id", "total_cents", "created_at" from "orders" where "id" = $1 and "version" = $${i + 2}` }));
}
const parent = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true };
const spans: ReadableSpan[] = [];
for (let i = 0; i < 512; i++) {
  if (i % 3 === 0) {
    const span = new LiveSpan('POST /api/checkout', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'url.path': '/api/checkout', 'http.route': '/api/checkout', 'server.address': '127.0.0.1', 'user_agent.original': 'undici' } }, parent, sink);
    span.setAttribute('http.response.status_code', 201);
    span.end();
    spans.push(span);
  } else {
    const now = Date.now();
    spans.push(new RecordedSpan('postgresql SELECT', { attributes: statements[i % statements.length], startTime: now, endTime: now + 1 }, parent, sink));
  }
}

const sdkBytes = ProtobufTraceSerializer.serializeRequest(spans);
if (!sdkBytes || Buffer.compare(Buffer.from(sdkBytes), Buffer.from(encodeTraceExport(spans))) !== 0) throw new Error('the two encoders wrote different bytes');

/** CPU µs per span over `n` encodings of the batch (after as many unmeasured ones). */
function measure(encode: () => unknown, n = 300): number {
  for (let i = 0; i < n; i++) encode();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) encode();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n / spans.length;
}

process.stdout.write(`OTLP protobuf encoding, ${spans.length} spans per export (${(sdkBytes.length / spans.length).toFixed(0)} bytes per span), CPU µs per span:\n`);
const sdk: number[] = [];
const kit: number[] = [];
for (let r = 1; r <= rounds; r++) {
  sdk.push(measure(() => ProtobufTraceSerializer.serializeRequest(spans)));
  kit.push(measure(() => encodeTraceExport(spans)));
  process.stdout.write(`  round ${r}: SDK ${sdk.at(-1)?.toFixed(2)}, kit ${kit.at(-1)?.toFixed(2)}\n`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
process.stdout.write(`median: SDK ${median(sdk).toFixed(2)} µs, kit ${median(kit).toFixed(2)} µs per span (${(median(sdk) / median(kit)).toFixed(1)}× less)\n`);
