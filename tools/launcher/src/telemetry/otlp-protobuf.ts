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
import { spanFrom } from './otlp.ts';

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

/** common.v1.KeyValue { string key = 1; AnyValue value = 2 } into `into`. */
function keyValue(r: Reader, end: number, into: Record<string, unknown>): void {
  let key: string | undefined;
  let value: unknown = null;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) key = r.string(r.len());
    else if (tag === ((2 << 3) | LEN)) value = anyValue(r, r.len());
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

/** trace.v1.Span into the stored shape (null when its ids are missing or malformed: the span is skipped). */
function span(r: Reader, end: number, service: string, instance: string | null): StoredSpan | null {
  let traceId: string | null = null;
  let spanId: string | null = null;
  let parentSpanId: string | null = null;
  let name = '(unnamed)';
  let kind = 1;
  let start = 0;
  let finish = 0;
  let status = 0;
  let statusMessage: string | null = null;
  const attributes: Record<string, unknown> = {};
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN:
        traceId = id(r, 16);
        break;
      case (2 << 3) | LEN:
        spanId = id(r, 8);
        break;
      case (4 << 3) | LEN:
        parentSpanId = id(r, 8);
        break;
      case (5 << 3) | LEN:
        name = r.string(r.len());
        break;
      case (6 << 3) | VARINT:
        kind = r.varint();
        break;
      case (7 << 3) | FIXED64:
        start = r.nanosAsMillis();
        break;
      case (8 << 3) | FIXED64:
        finish = r.nanosAsMillis();
        break;
      case (9 << 3) | LEN:
        keyValue(r, r.len(), attributes);
        break;
      case (15 << 3) | LEN: {
        // Status { string message = 2; StatusCode code = 3 }
        const statusEnd = r.len();
        while (r.pos < statusEnd) {
          const t = r.varint();
          if (t === ((2 << 3) | LEN)) statusMessage = r.string(r.len()) || null;
          else if (t === ((3 << 3) | VARINT)) status = r.varint();
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
  if (traceId === null || spanId === null) return null;
  return spanFrom({ traceId, spanId, parentSpanId, service, instance, name, kind, start, end: finish, status, statusMessage, attributes });
}

/** Decode one OTLP/HTTP protobuf export request (ExportTraceServiceRequest) into storable spans. */
export function decodeTracesProtobuf(body: Buffer): StoredSpan[] {
  const out: StoredSpan[] = [];
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
    const service = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    const instance = typeof resource['service.instance.id'] === 'string' ? resource['service.instance.id'] : null;
    for (const [from, scopeEnd] of scopes) {
      // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2 }
      const s = new Reader(body, from, scopeEnd);
      while (s.more()) {
        const t = s.varint();
        if (t === ((2 << 3) | LEN)) {
          const stored = span(s, s.len(), service, instance);
          if (stored) out.push(stored);
        } else s.skip(t & 7);
      }
    }
    r.pos = resourceSpansEnd;
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
