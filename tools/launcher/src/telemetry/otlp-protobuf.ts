/**
 * OTLP/HTTP binary protobuf decoding (https://opentelemetry.io/docs/specs/otlp/#binary-protobuf-encoding):
 * what the services send by default (`OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`, the specification's default).
 *
 * A reader of its own for the handful of messages an export request holds, not a protobuf library: it reads
 * each span straight into the stored shape (ids as hex from the bytes, timestamps to the microsecond without a
 * BigInt, only the fields the store keeps), where a generic decoder builds a message object per span, per
 * attribute and per value first (ADR 0048). Field numbers from opentelemetry-proto's trace/v1, common/v1 and
 * resource/v1 messages; unknown fields are skipped by wire type, as protobuf requires.
 */
import type { StoredSpan } from './store.ts';
import { spanFrom, type DecodedSpan } from './otlp.ts';

/** A malformed message: the collector answers 400 with this message. */
export class ProtobufError extends Error {}

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** A cursor over one message (or a length-delimited part of one) in `buf`. */
class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  constructor(buf: Buffer, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** A varint up to 2^53 (field tags, lengths, enums, counts). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  /** An int64 varint as a number (two's complement: a negative one takes ten bytes, read exactly as a BigInt). */
  int64(): number {
    const start = this.pos;
    const value = this.varint();
    if (this.pos - start < 10) return value;
    let n = 0n;
    for (let i = this.pos - 1; i >= start; i--) n = (n << 7n) | BigInt((this.buf[i] as number) & 0x7f);
    return Number(BigInt.asIntN(64, n));
  }

  /** The end of a length-delimited field whose length comes next. */
  len(): number {
    const n = this.varint();
    const end = this.pos + n;
    if (end > this.end) throw new ProtobufError('length past the end of the message');
    return end;
  }

  /** Nanoseconds since the epoch (fixed64) as milliseconds, to the microsecond, as the JSON path reads them. */
  nanosAsMillis(): number {
    if (this.pos + 8 > this.end) throw new ProtobufError('truncated fixed64');
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    // (hi·2^32 + lo) / 1000 without losing the microseconds: the part of hi that 1000 divides goes through exactly.
    const micros = Math.floor(hi / 1000) * 4294967296 + Math.floor(((hi % 1000) * 4294967296 + lo) / 1000);
    return micros / 1000;
  }

  string(end: number): string {
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  /** Skip a field of this wire type. */
  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === FIXED64) this.pos += 8;
    else if (wire === LEN) this.pos = this.len();
    else if (wire === FIXED32) this.pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new ProtobufError('field past the end of the message');
  }
}

/** common.v1.AnyValue as the JSON path decodes it (kvlists become objects, bytes base64). */
function anyValue(r: Reader, end: number): unknown {
  let value: unknown = null;
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LEN) value = r.string(r.len());
    else if (field === 2 && wire === VARINT) value = r.varint() !== 0;
    else if (field === 3 && wire === VARINT) value = r.int64();
    else if (field === 4 && wire === FIXED64) {
      value = r.buf.readDoubleLE(r.pos);
      r.pos += 8;
    } else if (field === 5 && wire === LEN) {
      // ArrayValue { repeated AnyValue values = 1 }
      const arrayEnd = r.len();
      const values: unknown[] = [];
      while (r.pos < arrayEnd) {
        const t = r.varint();
        if (t >>> 3 === 1 && (t & 7) === LEN) values.push(anyValue(r, r.len()));
        else r.skip(t & 7);
      }
      value = values;
    } else if (field === 6 && wire === LEN) {
      // KeyValueList { repeated KeyValue values = 1 }
      const listEnd = r.len();
      const object: Record<string, unknown> = {};
      while (r.pos < listEnd) {
        const t = r.varint();
        if (t >>> 3 === 1 && (t & 7) === LEN) keyValue(r, r.len(), object);
        else r.skip(t & 7);
      }
      value = object;
    } else if (field === 7 && wire === LEN) {
      const bytesEnd = r.len();
      value = r.buf.toString('base64', r.pos, bytesEnd);
      r.pos = bytesEnd;
    } else r.skip(wire);
  }
  r.pos = end;
  return value;
}

/** common.v1.KeyValue { string key = 1; AnyValue value = 2 } into `into`; with `only`, keys outside it are skipped undecoded. */
function keyValue(r: Reader, end: number, into: Record<string, unknown>, only?: ReadonlySet<string>): void {
  let key: string | undefined;
  let value: unknown = null;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) {
      const keyEnd = r.len();
      // The keys the store searches on are few; a key of another length is not read at all.
      if (only && !ONLY_LENGTHS.has(keyEnd - r.pos)) {
        r.pos = end;
        return;
      }
      key = r.string(keyEnd);
      if (only && !only.has(key)) {
        r.pos = end;
        return;
      }
    } else if (tag === ((2 << 3) | LEN)) value = anyValue(r, r.len());
    else r.skip(tag & 7);
  }
  r.pos = end;
  if (key !== undefined) into[key] = value;
}

/** An id (bytes) as lower-case hex; anything but the right length is no id. */
function id(r: Reader, bytes: 8 | 16): string | null {
  const end = r.len();
  const hex = end - r.pos === bytes ? r.buf.toString('hex', r.pos, end) : null;
  r.pos = end;
  return hex;
}

/** The attributes a stored chunk searches on (its order id; the route among its names). */
const SEARCHED = new Set(['bazaar.order_id', 'http.route']);
const ONLY_LENGTHS = new Set([...SEARCHED].map((k) => Buffer.byteLength(k)));

/**
 * A span as the store receives it from a protobuf export: the facts a chunk is searched on, and the span's
 * own bytes, stored as they came (read in full only when a trace is shown: spansOfChunk).
 */
export interface WireSpan extends Pick<StoredSpan, 'traceId' | 'spanId' | 'parentSpanId' | 'service' | 'instance' | 'name' | 'start' | 'end' | 'status' | 'orderId' | 'route'> {
  /** The span as a ScopeSpans field: tag, length and message. */
  raw: Buffer;
}

/** A span's own fields as read (its ids null when missing or malformed). */
type SpanFields = Omit<DecodedSpan, 'traceId' | 'spanId' | 'service' | 'instance'> & { traceId: string | null; spanId: string | null };

/** trace.v1.Span's fields; with `only`, just those attributes. */
function spanFields(r: Reader, end: number, only?: ReadonlySet<string>): SpanFields {
  const f: SpanFields = { traceId: null, spanId: null, parentSpanId: null, name: '(unnamed)', kind: 1, start: 0, end: 0, status: 0, statusMessage: null, attributes: {} };
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN:
        f.traceId = id(r, 16);
        break;
      case (2 << 3) | LEN:
        f.spanId = id(r, 8);
        break;
      case (4 << 3) | LEN:
        f.parentSpanId = id(r, 8);
        break;
      case (5 << 3) | LEN:
        f.name = r.string(r.len());
        break;
      case (6 << 3) | VARINT:
        f.kind = r.varint();
        break;
      case (7 << 3) | FIXED64:
        f.start = r.nanosAsMillis();
        break;
      case (8 << 3) | FIXED64:
        f.end = r.nanosAsMillis();
        break;
      case (9 << 3) | LEN:
        keyValue(r, r.len(), f.attributes, only);
        break;
      case (15 << 3) | LEN: {
        // Status { string message = 2; StatusCode code = 3 }
        const statusEnd = r.len();
        while (r.pos < statusEnd) {
          const t = r.varint();
          if (t === ((2 << 3) | LEN)) f.statusMessage = r.string(r.len()) || null;
          else if (t === ((3 << 3) | VARINT)) f.status = r.varint();
          else r.skip(t & 7);
        }
        r.pos = statusEnd;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  r.pos = end;
  return f;
}

/** trace.v1.Span into the stored shape (null when its ids are missing or malformed: the span is skipped). */
function span(r: Reader, end: number, service: string, instance: string | null): StoredSpan | null {
  const f = spanFields(r, end);
  if (f.traceId === null || f.spanId === null) return null;
  return spanFrom({ ...f, traceId: f.traceId, spanId: f.spanId, service, instance });
}

/** Each resource's spans in a request: the ResourceSpans' service and instance, and where each ScopeSpans lies. */
function* resources(body: Buffer): Generator<{ service: string; instance: string | null; scopes: [number, number][] }> {
  const r = new Reader(body, 0, body.length);
  while (r.more()) {
    const tag = r.varint();
    if (tag !== ((1 << 3) | LEN)) {
      r.skip(tag & 7);
      continue;
    }
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2 }. The resource may come after
    // the spans on the wire, so the spans' positions are kept until it is known.
    const resourceSpansEnd = r.len();
    const resource: Record<string, unknown> = {};
    const scopes: [number, number][] = [];
    while (r.pos < resourceSpansEnd) {
      const t = r.varint();
      if (t === ((1 << 3) | LEN)) {
        // Resource { repeated KeyValue attributes = 1 }
        const resourceEnd = r.len();
        while (r.pos < resourceEnd) {
          const a = r.varint();
          if (a === ((1 << 3) | LEN)) keyValue(r, r.len(), resource);
          else r.skip(a & 7);
        }
      } else if (t === ((2 << 3) | LEN)) {
        const scopeEnd = r.len();
        scopes.push([r.pos, scopeEnd]);
        r.pos = scopeEnd;
      } else r.skip(t & 7);
    }
    r.pos = resourceSpansEnd;
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    const instance = typeof resource['service.instance.id'] === 'string' ? resource['service.instance.id'] : null;
    yield { service, instance, scopes };
  }
}

/** Every Span field of the ScopeSpans messages (or chunk bodies) between `from` and `to`: where it starts, where its message lies. */
function* spanFieldsIn(body: Buffer, from: number, to: number): Generator<{ reader: Reader; fieldStart: number; end: number }> {
  const s = new Reader(body, from, to);
  while (s.more()) {
    const fieldStart = s.pos;
    const t = s.varint();
    if (t === ((2 << 3) | LEN)) {
      const end = s.len();
      yield { reader: s, fieldStart, end };
      s.pos = end;
    } else s.skip(t & 7);
  }
}

/** Decode one OTLP/HTTP protobuf export request for the store: each span's searched facts and its bytes. */
export function decodeWireSpans(body: Buffer): WireSpan[] {
  const out: WireSpan[] = [];
  for (const { service, instance, scopes } of resources(body)) {
    for (const [from, to] of scopes) {
      for (const { reader, fieldStart, end } of spanFieldsIn(body, from, to)) {
        const f = spanFields(reader, end, SEARCHED);
        if (f.traceId === null || f.spanId === null) continue;
        const orderId = f.attributes['bazaar.order_id'];
        const route = f.attributes['http.route'];
        out.push({
          traceId: f.traceId,
          spanId: f.spanId,
          parentSpanId: f.parentSpanId,
          service,
          instance,
          name: f.name,
          start: f.start,
          end: f.end,
          status: f.status,
          orderId: typeof orderId === 'string' ? orderId : null,
          route: typeof route === 'string' ? route : null,
          raw: body.subarray(fieldStart, end),
        });
      }
    }
  }
  return out;
}

/** The spans of a chunk stored from protobuf (its body: Span fields one after another), in full. */
export function spansOfChunk(body: Buffer, service: string, instance: string | null): StoredSpan[] {
  const out: StoredSpan[] = [];
  for (const { reader, end } of spanFieldsIn(body, 0, body.length)) {
    const stored = span(reader, end, service, instance);
    if (stored) out.push(stored);
  }
  return out;
}

/** Decode one OTLP/HTTP protobuf export request (ExportTraceServiceRequest) into storable spans, in full. */
export function decodeTracesProtobuf(body: Buffer): StoredSpan[] {
  const out: StoredSpan[] = [];
  for (const { service, instance, scopes } of resources(body)) {
    for (const [from, to] of scopes) {
      for (const { reader, end } of spanFieldsIn(body, from, to)) {
        const stored = span(reader, end, service, instance);
        if (stored) out.push(stored);
      }
    }
  }
  return out;
}

/** A google.rpc.Status { int32 code = 1; string message = 2 } (the body of an OTLP/HTTP error answer in protobuf). */
export function rpcStatus(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const length: number[] = [];
  for (let n = text.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      length.push(n);
      break;
    }
    length.push((n % 128) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x08, code, 0x12, ...length]), text]);
}
