/**
 * OTLP/HTTP JSON decoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
 * what the services' @opentelemetry/exporter-trace-otlp-http sends to the launcher.
 */
import type { StoredSpan } from './store.ts';

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
}
interface ExportRequest {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

function valueOf(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return null;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = valueOf(kv.value);
  return out;
}

const HEX_ID: Record<number, RegExp> = { 8: /^[0-9a-f]{16}$/, 16: /^[0-9a-f]{32}$/ };
const ANY_CASE_HEX_ID: Record<number, RegExp> = { 8: /^[0-9a-fA-F]{16}$/, 16: /^[0-9a-fA-F]{32}$/ };

/** OTLP JSON ids are hex; tolerate upper case, and base64 (the protobuf JSON mapping) too. */
function hexId(id: string | undefined, bytes: 8 | 16): string | null {
  if (!id) return null;
  // Three ids per span, thousands of spans a second: the patterns are compiled once, and lower-case hex
  // (what every OpenTelemetry SDK sends) is taken as it is.
  if ((HEX_ID[bytes] as RegExp).test(id)) return id;
  if ((ANY_CASE_HEX_ID[bytes] as RegExp).test(id)) return id.toLowerCase();
  const decoded = Buffer.from(id, 'base64');
  return decoded.length === bytes ? decoded.toString('hex') : null;
}

const DIGITS = /^\d{7,20}$/;

/** Nanoseconds since the epoch (a decimal string: they exceed 2^53) as milliseconds, to the microsecond. */
function millis(nanos: string | number | undefined): number {
  if (nanos === undefined) return 0;
  if (typeof nanos === 'number') return nanos / 1e6;
  // Split at the microseconds instead of a BigInt per timestamp: whole microseconds fit a double exactly.
  if (DIGITS.test(nanos)) return Number(nanos.slice(0, -3)) / 1000;
  const n = BigInt(nanos);
  return Number(n / 1000n) / 1000;
}

/** A span as either encoding decodes it: OTLP's kind (from 1, internal), times in ms. */
export type DecodedSpan = Omit<StoredSpan, 'durationMs' | 'orderId' | 'route' | 'httpStatus'>;

/** The stored span: what the dashboard searches on taken out of the attributes. */
export function spanFrom(s: DecodedSpan): StoredSpan {
  const orderId = s.attributes['bazaar.order_id'];
  const route = s.attributes['http.route'];
  const httpStatus = s.attributes['http.response.status_code'];
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    service: s.service,
    instance: s.instance,
    name: s.name,
    // OTLP numbers kinds from 1 (internal); the API from 0.
    kind: Math.max(0, s.kind - 1),
    start: s.start,
    end: s.end,
    durationMs: Math.max(0, s.end - s.start),
    status: s.status,
    statusMessage: s.statusMessage,
    orderId: typeof orderId === 'string' ? orderId : null,
    route: typeof route === 'string' ? route : null,
    httpStatus: typeof httpStatus === 'number' ? httpStatus : null,
    attributes: s.attributes,
  };
}

/** Decode one OTLP/HTTP JSON export request into storable spans; malformed spans are skipped. */
export function decodeTraces(body: unknown): StoredSpan[] {
  const out: StoredSpan[] = [];
  for (const rs of (body as ExportRequest).resourceSpans ?? []) {
    const resource = attributesOf(rs.resource?.attributes);
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    const instance = typeof resource['service.instance.id'] === 'string' ? resource['service.instance.id'] : null;
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const traceId = hexId(s.traceId, 16);
        const spanId = hexId(s.spanId, 8);
        if (!traceId || !spanId) continue;
        out.push(
          spanFrom({
            traceId,
            spanId,
            parentSpanId: hexId(s.parentSpanId, 8),
            service,
            instance,
            name: s.name ?? '(unnamed)',
            kind: s.kind ?? 1,
            start: millis(s.startTimeUnixNano),
            end: millis(s.endTimeUnixNano),
            status: s.status?.code ?? 0,
            statusMessage: s.status?.message || null,
            attributes: attributesOf(s.attributes),
          }),
        );
      }
    }
  }
  return out;
}
