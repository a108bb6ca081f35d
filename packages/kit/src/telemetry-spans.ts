/**
 * Spans the kit builds itself and hands to the SDK's span processors, for
 * the case that needs no decision: the span is sampled because its parent is
 * (under every parentbased_* sampler and always_on), or because the sampler
 * samples every new trace (always_on, parentbased_always_on: the default).
 * Same processors, same exporter, same OTLP on the wire as the SDK's own
 * spans; what is skipped is the per-span machinery around them: a context
 * object per span, the sampler call, the SDK's own `otel.sdk.span.*`
 * bookkeeping, attribute sanitising copies, a clock object per span
 * (docs/observability.md, "Overhead"; ADR 0047).
 *
 * - RecordedSpan: work that already happened (an SQL statement, a Redis
 *   call), finished the moment it exists.
 * - LiveSpan: a span that runs (an incoming request, an outgoing call, a
 *   consumed event, a saga step), ended by its caller.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, type Attributes, type AttributeValue, type Exception, type HrTime, type Link, type Span, type SpanContext, type SpanStatus, type TimeInput } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime, timeInputToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { nextSpanId, nextTraceId } from './ids.ts';

/** Where the kit's own spans go, and what they carry: the SDK's processors, resource and scope. */
export interface SpanSink {
  processors: SpanProcessor[];
  resource: Resource;
  scope: InstrumentationScope;
}

/** No attributes: one frozen object for every span without any. */
export const NO_ATTRIBUTES: Attributes = Object.freeze({});
/** The SDK's default span limits (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, …_EVENT_COUNT_LIMIT, …_LINK_COUNT_LIMIT). */
const ATTRIBUTE_LIMIT = 128;
const EVENT_LIMIT = 128;
const LINK_LIMIT = 128;

/** The exception event the SDK records for a failure (semantic conventions: exception.*). */
export function exceptionEvent(error: unknown, time: HrTime): TimedEvent {
  const attributes: Attributes = {};
  if (typeof error === 'string') attributes['exception.message'] = error;
  else if (error && typeof error === 'object') {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    if (typeof e.name === 'string') attributes['exception.type'] = e.name;
    else if (typeof e.code === 'string' || typeof e.code === 'number') attributes['exception.type'] = String(e.code);
    if (typeof e.message === 'string') attributes['exception.message'] = e.message;
    if (typeof e.stack === 'string') attributes['exception.stacktrace'] = e.stack;
  } else attributes['exception.message'] = String(error);
  return { name: 'exception', time, attributes, droppedAttributesCount: 0 };
}

/** A span recorded after the fact, handed to the processors finished (telemetry.ts recordSpan). */
export class RecordedSpan implements ReadableSpan {
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links = [];
  readonly events: TimedEvent[];
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly name: string;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  private readonly context: SpanContext;

  constructor(name: string, opts: { kind?: SpanKind | undefined; attributes?: Attributes | undefined; startTime: number; endTime: number; error?: unknown }, parent: SpanContext, sink: SpanSink) {
    this.name = name;
    this.resource = sink.resource;
    this.instrumentationScope = sink.scope;
    this.kind = opts.kind ?? SpanKind.CLIENT;
    this.parentSpanContext = parent;
    this.context = { traceId: parent.traceId, spanId: nextSpanId(), traceFlags: TraceFlags.SAMPLED };
    this.startTime = millisToHrTime(opts.startTime);
    this.endTime = millisToHrTime(Math.max(opts.startTime, opts.endTime));
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    this.attributes = opts.attributes ?? NO_ATTRIBUTES;
    if (opts.error === undefined) {
      this.status = { code: SpanStatusCode.UNSET };
      this.events = [];
    } else {
      const message = opts.error instanceof Error ? opts.error.message : String(opts.error);
      this.status = { code: SpanStatusCode.ERROR, message };
      this.events = [exceptionEvent(opts.error, this.endTime)];
    }
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

/** When this process's monotonic clock started, ms since the epoch (read once: the getter is not free). */
const TIME_ORIGIN = performance.timeOrigin;

/** Now, in ms since the epoch with sub-millisecond precision (the SDK's clock: time origin + monotonic). */
function nowMs(): number {
  return TIME_ORIGIN + performance.now();
}

function toHrTime(time: TimeInput | undefined): HrTime {
  if (time === undefined) return millisToHrTime(nowMs());
  return typeof time === 'number' ? millisToHrTime(time) : timeInputToHrTime(time);
}

function isAttributeValue(value: unknown): value is AttributeValue {
  if (value === null || value === undefined) return false;
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  return Array.isArray(value) && value.every((v) => v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v));
}

/**
 * A running span the kit started (telemetry.ts startSpan), sampled. The API
 * span and the finished ReadableSpan the processors take are one object, as
 * in the SDK; changes after `end` are ignored, as there.
 */
export class LiveSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext?: SpanContext;
  /**
   * Start and end in ms since the epoch, as the kit's clock gives them (NaN: given as an HrTime or a Date, kept as
   * `startHr`/`endHr`). The HrTime arrays the ReadableSpan interface shows are made only when read: the encoder
   * writes these numbers (otlp-encode.ts), so a span's times cost no arrays.
   */
  readonly startMillis: number;
  endMillis = NaN;
  private startHr: HrTime | undefined;
  private endHr: HrTime | undefined;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  private readonly context: SpanContext;
  private readonly processors: SpanProcessor[];
  private attributeCount = 0;

  constructor(name: string, opts: { kind: SpanKind; attributes?: Attributes | undefined; startTime?: TimeInput | undefined }, parent: SpanContext | undefined, sink: SpanSink) {
    this.name = name;
    this.kind = opts.kind;
    if (parent) this.parentSpanContext = parent;
    this.context = { traceId: parent?.traceId ?? nextTraceId(), spanId: nextSpanId(), traceFlags: TraceFlags.SAMPLED };
    const start = opts.startTime;
    if (start === undefined || typeof start === 'number') this.startMillis = start ?? nowMs();
    else {
      this.startMillis = NaN;
      this.startHr = toHrTime(start);
    }
    this.resource = sink.resource;
    this.instrumentationScope = sink.scope;
    this.processors = sink.processors;
    if (opts.attributes) this.setAttributes(opts.attributes);
    for (const p of this.processors) p.onStart(this, ROOT_CONTEXT);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  get startTime(): HrTime {
    return (this.startHr ??= millisToHrTime(this.startMillis));
  }

  /** [0, 0] until the span ends, as the SDK's. */
  get endTime(): HrTime {
    if (!this.ended) return [0, 0];
    return (this.endHr ??= millisToHrTime(this.endMillis));
  }

  get duration(): HrTime {
    return this.ended ? hrTimeDuration(this.startTime, this.endTime) : [0, 0];
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.ended || key.length === 0 || !isAttributeValue(value)) return this;
    if (!(key in this.attributes)) {
      if (this.attributeCount >= ATTRIBUTE_LIMIT) {
        this.droppedAttributesCount += 1;
        return this;
      }
      this.attributeCount += 1;
    }
    // Arrays are copied, as the SDK does: the caller may change theirs afterwards.
    this.attributes[key] = Array.isArray(value) ? (value.slice() as AttributeValue) : value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    if (this.events.length >= EVENT_LIMIT) {
      this.droppedEventsCount += 1;
      return this;
    }
    const isTime = typeof attributesOrTime === 'number' || Array.isArray(attributesOrTime) || attributesOrTime instanceof Date;
    const attributes = isTime || attributesOrTime === undefined ? undefined : { ...(attributesOrTime as Attributes) };
    this.events.push({ name, time: toHrTime(isTime ? (attributesOrTime as TimeInput) : time), attributes: attributes ?? {}, droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links.length >= LINK_LIMIT) this.droppedLinksCount += 1;
    else this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended) return this;
    // OK is final (the specification); UNSET never overrides.
    if (this.status.code === SpanStatusCode.OK || status.code === SpanStatusCode.UNSET) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    // An end before the start (a caller's clock): a zero-length span, as the SDK makes it.
    if ((endTime === undefined || typeof endTime === 'number') && !Number.isNaN(this.startMillis)) {
      const end = endTime ?? nowMs();
      this.endMillis = end < this.startMillis ? this.startMillis : end;
    } else {
      const end = toHrTime(endTime);
      this.endHr = hrTimeDuration(this.startTime, end)[0] < 0 ? this.startTime : end;
    }
    for (const p of this.processors) p.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    if (this.ended) return;
    if (this.events.length >= EVENT_LIMIT) this.droppedEventsCount += 1;
    else this.events.push(exceptionEvent(exception, toHrTime(time)));
  }
}

