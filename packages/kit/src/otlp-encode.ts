/**
 * The OTLP/HTTP protobuf encoding of an export (ExportTraceServiceRequest),
 * byte for byte what the SDK's `ProtobufTraceSerializer` writes for the same
 * spans, at a fraction of its cost (ADR 0049; docs/observability.md,
 * "Overhead").
 *
 * The SDK's serializer walks every span twice (a size pass, then a write
 * pass) and copies every string into the buffer one character at a time in
 * JavaScript, twice. Most of a checkout's spans are SQL statements whose
 * attributes (the statement text, up to 500 characters, the database, the
 * operation) are one frozen object shared by every span of that statement
 * (@bazaar/store's traceQueries): this encoder writes such an object once and
 * keeps its bytes, so the next thousand spans of the statement copy them. The
 * rest is one pass over a reused buffer (native UTF-8 writes for long
 * strings; ids turned from hex into bytes through a small table); a
 * message's length is written in front of it once its size is known.
 */
import { SpanStatusCode, TraceFlags, type Attributes, type HrTime, type Link, type SpanContext, type SpanKind } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { LiveSpan } from './telemetry-spans.ts';
import { writeNewSpanId } from './ids.ts';

/** The SDK's span flags (OTLP `Span.flags`): the W3C trace flags, and whether the parent was remote. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** `String.prototype.charCodeAt`, called with each string as `this` (Writer.string says why). */
const charCodeAtOf = String.prototype.charCodeAt;

/** Each ASCII character's value as a hex digit, 255 where it is none. */
const HEX_VALUE = new Uint8Array(128).fill(255);
for (let c = 0; c < 16; c++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(c)] = c;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(c)] = c;
}

/** Bytes a varint of `v` takes (the SDK's estimate, which is also what it writes). */
function varintSize(v: number): number {
  if (v < 0) return 10;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 0x800000000) return 5;
  if (v < 0x40000000000) return 6;
  if (v < 0x2000000000000) return 7;
  if (v < 0x100000000000000) return 8;
  return 9;
}

/** A growable buffer with protobuf's wire primitives; reused from one export to the next. */
class Writer {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    // 64 bits, two's complement for negatives (as the SDK writes them).
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 0x100000000) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 0x100000000) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 0x7f;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.buf.writeUInt32LE(low >>> 0, this.pos);
    this.buf.writeUInt32LE(high >>> 0, this.pos + 4);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  string(s: string): void {
    const length = s.length;
    if (length < 64) {
      // A short string (a name, an attribute key, most values) is cheaper to copy here than through a native call.
      // `charCodeAt` is called through String.prototype's own function, not looked up on `s`: the strings that come
      // here are of many kinds to V8 (literals, slices, concatenations, parsed headers), and the lookup on each
      // character became a megamorphic property load, 2.3 % of a busy gateway's CPU (docs/performance.md).
      this.ensure(length + 1);
      const buf = this.buf;
      let p = this.pos + 1;
      let i = 0;
      for (; i < length; i++) {
        const c = charCodeAtOf.call(s, i);
        if (c > 0x7f) break;
        buf[p++] = c;
      }
      if (i === length) {
        buf[this.pos] = length;
        this.pos = p;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }

  /** An id given in hex (trace, span), written as its bytes (as Buffer's hex write: up to the first pair that is not hex, the rest zero). */
  hexBytes(id: string): void {
    const n = id.length >>> 1;
    this.varint(n);
    this.ensure(n);
    // 16 or 32 characters: a loop over a table costs less than a native call's argument checks.
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      // Outside ASCII the table has no entry: undefined, which the check below treats as not hex.
      const hi = HEX_VALUE[charCodeAtOf.call(id, 2 * i)] ?? 255;
      const lo = HEX_VALUE[charCodeAtOf.call(id, 2 * i + 1)] ?? 255;
      if ((hi | lo) > 15) {
        // Ids come from our generator or a validated traceparent; a malformed one still keeps its length.
        buf.fill(0, p, this.pos + n);
        break;
      }
      buf[p++] = (hi << 4) | lo;
    }
    this.pos += n;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Start a length-delimited message: room for a one-byte length, the usual case for small ones. */
  open(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Write the length of the message opened at `at`, moving its body when the length needs more than one byte. */
  close(at: number): void {
    const length = this.pos - at - 1;
    const size = varintSize(length);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(at + size, at + 1, this.pos);
      this.pos += size - 1;
    }
    let v = length;
    let p = at;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }
}

/** HrTime as nanoseconds since the epoch, fixed64 (the SDK's arithmetic: exact beyond 2^53 ns). */
function writeTime(w: Writer, time: HrTime): void {
  writeSecondsNanos(w, time[0], time[1]);
}

/** A time in ms since the epoch, as the SDK's millisToHrTime makes it and writeTime writes it, without the HrTime. */
function writeMillis(w: Writer, millis: number): void {
  writeSecondsNanos(w, Math.trunc(millis / 1000), Math.round((millis % 1000) * 1_000_000));
}

function writeSecondsNanos(w: Writer, seconds: number, nanos: number): void {
  const lower = (seconds & 0xffff) * 1_000_000_000;
  const upper = ((seconds / 0x10000) >>> 0) * 1_000_000_000;
  const low = (lower >>> 0) + (((upper & 0xffff) * 0x10000) >>> 0) + nanos;
  const high = Math.floor(lower / 0x100000000) + ((upper / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
  w.fixed64(low >>> 0, high >>> 0);
}

function writeAnyValue(w: Writer, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, 2);
      w.string(value);
      return;
    case 'boolean':
      w.tag(2, 0);
      w.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        w.tag(3, 0);
        w.varint(value);
      } else {
        w.tag(4, 1);
        w.double(value);
      }
      return;
  }
  if (value instanceof Uint8Array) {
    w.tag(7, 2);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, 2);
    const array = w.open();
    for (const item of value as unknown[]) {
      w.tag(1, 2);
      const at = w.open();
      writeAnyValue(w, item);
      w.close(at);
    }
    w.close(array);
  } else if (typeof value === 'object' && value !== null) {
    w.tag(6, 2);
    const list = w.open();
    writeKeyValues(w, value as Record<string, unknown>, 1);
    w.close(list);
  }
  // Anything else (undefined, null, a function): an empty AnyValue, as the SDK writes it.
}

/** `repeated KeyValue` in field `field`, one per own property. */
function writeKeyValues(w: Writer, values: Record<string, unknown>, field: number): void {
  for (const key in values) {
    if (!Object.prototype.hasOwnProperty.call(values, key)) continue;
    w.tag(field, 2);
    const kv = w.open();
    w.tag(1, 2);
    w.string(key);
    w.tag(2, 2);
    const any = w.open();
    writeAnyValue(w, values[key]);
    w.close(any);
    w.close(kv);
  }
}

/** A span's attributes (field 9). A frozen object is written once and its bytes kept: nobody can change it. */
const frozenAttributes = new WeakMap<Attributes, Buffer>();

function writeSpanAttributes(w: Writer, attributes: Attributes): void {
  if (Object.isFrozen(attributes)) cached(w, frozenAttributes, attributes, () => writeKeyValues(w, attributes, 9));
  else writeKeyValues(w, attributes, 9);
}

function writeStatus(w: Writer, status: ReadableSpan['status']): void {
  const at = w.open();
  if (status.message) {
    w.tag(2, 2);
    w.string(status.message);
  }
  w.tag(3, 0);
  w.varint(status.code);
  w.close(at);
}

function writeEvent(w: Writer, event: TimedEvent): void {
  const at = w.open();
  w.tag(1, 1);
  writeTime(w, event.time);
  w.tag(2, 2);
  w.string(event.name);
  if (event.attributes) writeKeyValues(w, event.attributes, 3);
  w.tag(4, 0);
  w.varint(event.droppedAttributesCount ?? 0);
  w.close(at);
}

function flagsOf(context: SpanContext, remote: boolean | undefined): number {
  return (context.traceFlags & 0xff) | HAS_IS_REMOTE | (remote ? IS_REMOTE : 0);
}

/** A span's or a link's first three fields, the same in both messages: trace id, span id, trace state. */
function writeIds(w: Writer, context: SpanContext): void {
  w.tag(1, 2);
  w.hexBytes(context.traceId);
  w.tag(2, 2);
  w.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    w.tag(3, 2);
    w.string(traceState);
  }
}

function writeLink(w: Writer, link: Link): void {
  const at = w.open();
  const context = link.context;
  writeIds(w, context);
  if (link.attributes) writeKeyValues(w, link.attributes, 4);
  w.tag(5, 0);
  w.varint(link.droppedAttributesCount ?? 0);
  w.tag(6, 5);
  w.fixed32(flagsOf(context, context.isRemote));
  w.close(at);
}

function writeSpan(w: Writer, span: ReadableSpan): void {
  const at = w.open();
  const context = span.spanContext();
  writeIds(w, context);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, 2);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, 2);
  w.string(span.name);
  // OTLP's SpanKind is the API's plus one (0 is "unspecified").
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.tag(6, 0);
    w.varint(kind);
  }
  // The kit's live spans keep their times in ms (NaN when given otherwise): written without making the HrTimes.
  const live = span instanceof LiveSpan;
  w.tag(7, 1);
  if (live && !Number.isNaN(span.startMillis)) writeMillis(w, span.startMillis);
  else writeTime(w, span.startTime);
  w.tag(8, 1);
  if (live && !Number.isNaN(span.endMillis)) writeMillis(w, span.endMillis);
  else writeTime(w, span.endTime);
  if (span.attributes) writeSpanAttributes(w, span.attributes);
  w.tag(10, 0);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) {
    w.tag(11, 2);
    writeEvent(w, event);
  }
  w.tag(12, 0);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) {
    w.tag(13, 2);
    writeLink(w, link);
  }
  w.tag(14, 0);
  w.varint(span.droppedLinksCount);
  w.tag(15, 2);
  writeStatus(w, span.status);
  w.tag(16, 5);
  w.fixed32(flagsOf(context, parent?.isRemote));
  w.close(at);
}

type Scope = ReadableSpan['instrumentationScope'];

const UNSET: ReadableSpan['status'] = Object.freeze({ code: SpanStatusCode.UNSET });

/** A resource's and a scope's bytes: the same few objects in every export of a process. */
const resources = new WeakMap<Resource, Buffer>();
const scopes = new WeakMap<Scope, Buffer>();

function cached<K extends object>(w: Writer, cache: WeakMap<K, Buffer>, key: K, write: () => void): void {
  const known = cache.get(key);
  if (known) {
    w.ensure(known.length);
    w.buf.set(known, w.pos);
    w.pos += known.length;
    return;
  }
  const start = w.pos;
  write();
  cache.set(key, Buffer.from(w.buf.subarray(start, w.pos)));
}

function writeResource(w: Writer, resource: Resource): void {
  w.tag(1, 2);
  const at = w.open();
  if (resource.attributes) writeKeyValues(w, resource.attributes, 1);
  w.tag(2, 0);
  w.varint(0);
  w.close(at);
}

function writeScope(w: Writer, scope: Scope): void {
  w.tag(1, 2);
  const at = w.open();
  w.tag(1, 2);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, 2);
    w.string(scope.version);
  }
  // Newer scopes may carry attributes (the SDK writes them when present).
  const extra = scope as Scope & { attributes?: Attributes; droppedAttributesCount?: number };
  if (extra.attributes) writeKeyValues(w, extra.attributes, 3);
  if (extra.droppedAttributesCount) {
    w.tag(4, 0);
    w.varint(extra.droppedAttributesCount);
  }
  w.close(at);
}

/**
 * Spans encoded as they come, kept as bytes until an export takes them: one
 * growing buffer per resource and scope (a process has one of each), so a
 * finished span is written once and its objects can go at once.
 */
export class SpanBatch {
  private readonly groups = new Map<Resource, Map<Scope, Writer>>();
  private readonly spare: Writer[] = [];
  private readonly out = new Writer();
  /** Spans added since the last `take`. */
  count = 0;

  add(span: ReadableSpan): void {
    const w = this.writerFor(span.resource, span.instrumentationScope);
    const at = w.pos;
    try {
      w.tag(2, 2);
      writeSpan(w, span);
    } catch (error) {
      this.undo(w, at, span.resource, span.instrumentationScope);
      throw error;
    }
    this.count += 1;
  }

  /**
   * A span recorded after the fact (telemetry.ts recordSpan: an SQL statement, a Redis call), written from its
   * parts: the bytes its RecordedSpan would be encoded to (a new span id, status unset, no events, no links), with
   * no span object, no time arrays and no id in hex on the way. Most of a checkout's spans come this way.
   */
  addRecorded(resource: Resource, scope: Scope, name: string, kind: SpanKind, parent: SpanContext, startMs: number, endMs: number, attributes: Attributes): void {
    const w = this.writerFor(resource, scope);
    const at = w.pos;
    try {
      w.tag(2, 2);
      const span = w.open();
      w.tag(1, 2);
      w.hexBytes(parent.traceId);
      w.tag(2, 2);
      w.varint(8);
      w.ensure(8);
      writeNewSpanId(w.buf, w.pos);
      w.pos += 8;
      if (parent.spanId) {
        w.tag(4, 2);
        w.hexBytes(parent.spanId);
      }
      w.tag(5, 2);
      w.string(name);
      w.tag(6, 0);
      w.varint(kind + 1);
      w.tag(7, 1);
      writeMillis(w, startMs);
      w.tag(8, 1);
      writeMillis(w, Math.max(startMs, endMs));
      writeSpanAttributes(w, attributes);
      w.tag(10, 0);
      w.varint(0);
      w.tag(12, 0);
      w.varint(0);
      w.tag(14, 0);
      w.varint(0);
      w.tag(15, 2);
      writeStatus(w, UNSET);
      w.tag(16, 5);
      w.fixed32(TraceFlags.SAMPLED | HAS_IS_REMOTE | (parent.isRemote ? IS_REMOTE : 0));
      w.close(span);
    } catch (error) {
      this.undo(w, at, resource, scope);
      throw error;
    }
    this.count += 1;
  }

  /** The buffer of this resource's and scope's spans. */
  private writerFor(resource: Resource, scope: Scope): Writer {
    let byScope = this.groups.get(resource);
    if (!byScope) this.groups.set(resource, (byScope = new Map()));
    let w = byScope.get(scope);
    if (!w) {
      w = this.spare.pop() ?? new Writer();
      w.pos = 0;
      byScope.set(scope, w);
    }
    return w;
  }

  /** A span that cannot be encoded leaves nothing behind: no half-written span, no empty group of its own. */
  private undo(w: Writer, at: number, resource: Resource, scope: Scope): void {
    w.pos = at;
    if (at !== 0) return;
    const byScope = this.groups.get(resource);
    byScope?.delete(scope);
    if (byScope?.size === 0) this.groups.delete(resource);
    this.spare.push(w);
  }

  /** Forget every span added since the last `take`. */
  clear(): void {
    for (const byScope of this.groups.values()) this.spare.push(...byScope.values());
    this.groups.clear();
    this.count = 0;
  }

  /** The spans added so far as one ExportTraceServiceRequest (resources, then scopes, in the order first seen); the batch starts empty again. */
  take(): Uint8Array {
    const w = this.out;
    w.pos = 0;
    for (const [resource, byScope] of this.groups) {
      w.tag(1, 2);
      const resourceSpans = w.open();
      cached(w, resources, resource, () => writeResource(w, resource));
      for (const [scope, spans] of byScope) {
        w.tag(2, 2);
        const scopeSpans = w.open();
        cached(w, scopes, scope, () => writeScope(w, scope));
        w.ensure(spans.pos);
        spans.buf.copy(w.buf, w.pos, 0, spans.pos);
        w.pos += spans.pos;
        if (scope.schemaUrl) {
          w.tag(3, 2);
          w.string(scope.schemaUrl);
        }
        w.close(scopeSpans);
        this.spare.push(spans);
      }
      if (resource.schemaUrl) {
        w.tag(3, 2);
        w.string(resource.schemaUrl);
      }
      w.close(resourceSpans);
    }
    this.groups.clear();
    this.count = 0;
    // A copy: the exporter keeps it until sent (and may retry) while the next export reuses the buffer.
    return new Uint8Array(w.buf.subarray(0, w.pos));
  }
}

const batch = new SpanBatch();

/** Encode spans as one ExportTraceServiceRequest: grouped by resource, then scope, in the order first seen. */
export function encodeTraceExport(spans: readonly ReadableSpan[]): Uint8Array {
  try {
    for (const span of spans) batch.add(span);
  } catch (error) {
    // The batch is shared between calls: what this call added must not end up in the next one's request.
    batch.clear();
    throw error;
  }
  return batch.take();
}

/** The collector's answer to an export (ExportTraceServiceResponse): only a partial success says anything. */
export interface ExportResponse {
  partialSuccess?: { rejectedSpans?: number; errorMessage?: string };
}

/** A protobuf message's fields, in order: number, wire type, and the value (a number, or a length-delimited body). */
function* fields(data: Uint8Array): Generator<{ field: number; wire: number; value: number | Uint8Array }> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (pos >= data.length) throw new Error('truncated varint');
      const byte = data[pos++] as number;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  };
  while (pos < data.length) {
    const tag = varint();
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const length = varint();
      if (pos + length > data.length) throw new Error('truncated field');
      yield { field, wire, value: data.subarray(pos, pos + length) };
      pos += length;
    } else if (wire === 1 || wire === 5) pos += wire === 1 ? 8 : 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/**
 * Read the collector's answer as the SDK's deserializer reads it (the same
 * object, so its partial-success warning is the same), without loading
 * @opentelemetry/otlp-transformer, its generated code and the metrics SDK
 * it brings along in every process (a tenth of a service's start-up).
 */
export function decodeExportResponse(data: Uint8Array): ExportResponse {
  const response: ExportResponse = {};
  for (const f of fields(data)) {
    if (f.field !== 1 || !(f.value instanceof Uint8Array)) continue;
    const partial: NonNullable<ExportResponse['partialSuccess']> = {};
    for (const p of fields(f.value)) {
      if (p.field === 1 && typeof p.value === 'number') partial.rejectedSpans = p.value;
      if (p.field === 2 && p.value instanceof Uint8Array) partial.errorMessage = Buffer.from(p.value.buffer, p.value.byteOffset, p.value.byteLength).toString('utf8');
    }
    response.partialSuccess = partial;
  }
  return response;
}
