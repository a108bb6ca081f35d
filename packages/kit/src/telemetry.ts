/**
 * OpenTelemetry tracing for every service, set up once by the kit.
 *
 * The kit's own request context (context.ts, one AsyncLocalStorage) carries
 * the active span, so there is no second context manager: a child span is
 * started with its parent taken from that context, and runs `fn` in a copy of
 * the context that names the child. Spans go to an OTLP/HTTP collector
 * (OTEL_EXPORTER_OTLP_ENDPOINT: the launcher in the embedded default, any
 * collector in production) in batches, off the request path.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ExportResultCode } from '@opentelemetry/core';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import type { IExporterMetricsHelper, IExportTraceServiceResponse, ISerializer } from '@opentelemetry/otlp-transformer';
import { emptyResource, resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { Type } from 'typebox';
import { currentContext, parseTraceparent, withContext, type RequestContext } from './context.ts';
import { LiveSpan, NO_ATTRIBUTES, RecordedSpan, type SpanSink } from './telemetry-spans.ts';
import { EncodingSpanProcessor, type EncodedSpans } from './telemetry-batch.ts';
import { decodeExportResponse } from './otlp-encode.ts';

export { SpanKind, SpanStatusCode, type Attributes, type Span };

/** The batch span processor's defaults (OTEL_BSP_*), also where a test builds settings without them. */
const BSP_DEFAULTS = { scheduleDelayMs: 2000, maxExportBatchSize: 2048, maxQueueSize: 8192 } as const;

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/**
 * The standard OpenTelemetry variables the kit reads
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
 * part of every service's config schema.
 */
export const TelemetryConfig = {
  OTEL_SDK_DISABLED: Type.Boolean({ default: false, description: 'true: no spans are recorded or exported (ids still flow for log correlation)' }),
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1, description: 'service.name of the spans (default: the service)' })),
  OTEL_RESOURCE_ATTRIBUTES: Type.Optional(Type.String({ description: 'key=value,… added to every span, e.g. service.instance.id=payments-2' })),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', description: 'OTLP/HTTP collector base URL; traces go to <endpoint>/v1/traces. Unset: spans are not exported' })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://', description: 'Full URL for traces; wins over OTEL_EXPORTER_OTLP_ENDPOINT' })),
  OTEL_EXPORTER_OTLP_HEADERS: Type.Optional(Type.String({ description: 'key=value,… sent with every export (e.g. an API key)' })),
  OTEL_EXPORTER_OTLP_PROTOCOL: Type.Optional(Type.Union(PROTOCOLS.map((p) => Type.Literal(p)), { description: 'OTLP/HTTP encoding: http/protobuf (the default, smaller and cheaper) or http/json; grpc is not supported' })),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: Type.Optional(Type.Union(PROTOCOLS.map((p) => Type.Literal(p)), { description: 'The same for traces; wins over OTEL_EXPORTER_OTLP_PROTOCOL' })),
  OTEL_TRACES_SAMPLER: Type.Union(SAMPLERS.map((s) => Type.Literal(s)), { default: 'parentbased_always_on' }),
  OTEL_TRACES_SAMPLER_ARG: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Ratio for the *traceidratio samplers' }),
  // The batch span processor's variables. Defaults differ from the specification's (5000 ms, 512, 2048): an export
  // every two seconds of at most 2048 spans. The kit's processor encodes a span as it ends, so a large batch costs no
  // serialisation at export time, and every export is a POST to send, receive and store: the fewer the better
  // (docs/observability.md, ADR 0050).
  OTEL_BSP_SCHEDULE_DELAY: Type.Integer({ minimum: 10, maximum: 60_000, default: BSP_DEFAULTS.scheduleDelayMs, description: 'Milliseconds between two exports of the spans queued' }),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 65_536, default: BSP_DEFAULTS.maxExportBatchSize, description: 'Most spans in one export; a full batch is sent at once' }),
  OTEL_BSP_MAX_QUEUE_SIZE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: BSP_DEFAULTS.maxQueueSize, description: 'Most spans waiting for export; beyond it new spans are dropped' }),
};

/** The telemetry settings as parsed by loadConfig. */
export interface TelemetrySettings {
  OTEL_SDK_DISABLED: boolean;
  OTEL_SERVICE_NAME?: string | undefined;
  OTEL_RESOURCE_ATTRIBUTES?: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_HEADERS?: string | undefined;
  OTEL_EXPORTER_OTLP_PROTOCOL?: (typeof PROTOCOLS)[number] | undefined;
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: (typeof PROTOCOLS)[number] | undefined;
  OTEL_TRACES_SAMPLER: (typeof SAMPLERS)[number];
  OTEL_TRACES_SAMPLER_ARG: number;
  OTEL_BSP_SCHEDULE_DELAY?: number | undefined;
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE?: number | undefined;
  OTEL_BSP_MAX_QUEUE_SIZE?: number | undefined;
}

/** Build the sampler the standard variables name. */
export function samplerFrom(settings: Pick<TelemetrySettings, 'OTEL_SDK_DISABLED' | 'OTEL_TRACES_SAMPLER' | 'OTEL_TRACES_SAMPLER_ARG'>): Sampler {
  if (settings.OTEL_SDK_DISABLED) return new AlwaysOffSampler();
  const ratio = settings.OTEL_TRACES_SAMPLER_ARG;
  switch (settings.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** Parse `k=v,k2=v2` (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS), values percent-decoded. */
export function parseKeyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    out[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return out;
}

// Until startTelemetry runs (apps built in unit tests, tools), spans follow their parent's sampling and go
// nowhere: ids and flags still flow, so logs and propagated trace context behave as in a running service.
let provider = new BasicTracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }) });
let tracer: Tracer = provider.getTracer('@bazaar/kit');
let exporting = false;
/**
 * Where the kit's own spans go directly (telemetry-spans.ts), with the
 * resource and scope the SDK would have given them. Empty when nothing is
 * exported or the sampler could drop a sampled parent's child: then every
 * span takes the SDK's path.
 */
let recorded: SpanSink = { processors: [], resource: emptyResource(), scope: { name: '@bazaar/kit' } };
/** The kit's own processor when it is the only one (the default export): recorded spans are written straight into its next export. */
let direct: EncodingSpanProcessor | undefined;
/** Whether the sampler samples every new trace (then a root span needs no sampler call either). */
let rootsSampled = false;

/** Samplers under which a child of a sampled parent is always sampled: the kit may skip the sampler for them. */
const FOLLOWS_SAMPLED_PARENT = new Set<TelemetrySettings['OTEL_TRACES_SAMPLER']>(['always_on', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']);
const SAMPLES_EVERY_ROOT = new Set<TelemetrySettings['OTEL_TRACES_SAMPLER']>(['always_on', 'parentbased_always_on']);

export interface StartTelemetryOptions {
  service: string;
  version?: string;
  config: TelemetrySettings;
  /** Instead of OTLP (tests). */
  exporter?: SpanExporter;
  /** Export each span at once instead of in batches (tests). */
  processor?: SpanProcessor;
}

/** The batch span processor's settings from OTEL_BSP_* (a batch can hold no more than the queue). */
export function batchSettings(config: Pick<TelemetrySettings, 'OTEL_BSP_SCHEDULE_DELAY' | 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE' | 'OTEL_BSP_MAX_QUEUE_SIZE'>): { scheduledDelayMillis: number; maxExportBatchSize: number; maxQueueSize: number } {
  const maxQueueSize = config.OTEL_BSP_MAX_QUEUE_SIZE ?? BSP_DEFAULTS.maxQueueSize;
  return {
    scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY ?? BSP_DEFAULTS.scheduleDelayMs,
    maxExportBatchSize: Math.min(maxQueueSize, config.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? BSP_DEFAULTS.maxExportBatchSize),
    maxQueueSize,
  };
}

/** An export the kit's processor has already encoded: sent as it is (telemetry-batch.ts, ADR 0050). */
const encodedSerializer: ISerializer<EncodedSpans, IExportTraceServiceResponse> = {
  serializeRequest: (spans) => spans.bytes,
  deserializeResponse: (data) => decodeExportResponse(data) as IExportTraceServiceResponse,
};
const encodedMetrics: IExporterMetricsHelper<EncodedSpans> = { name: 'span', countItems: (spans) => spans.count };

/**
 * The SDK's OTLP/HTTP JSON exporter, loaded on its first export: most
 * processes never use it (protobuf is the default), and loading it and
 * @opentelemetry/otlp-transformer costs every process start-up time.
 */
function lazyJsonExporter(options: { url: string; headers: Record<string, string> }): SpanExporter {
  let loaded: Promise<SpanExporter> | undefined;
  const exporter = (): Promise<SpanExporter> =>
    (loaded ??= import('@opentelemetry/exporter-trace-otlp-http').then(({ OTLPTraceExporter }) => new OTLPTraceExporter(options)));
  return {
    export(spans, done) {
      exporter().then(
        (e) => e.export(spans, done),
        (error: unknown) => done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    },
    async shutdown() {
      if (loaded) await (await loaded).shutdown();
    },
    async forceFlush() {
      if (loaded) await (await loaded).forceFlush?.();
    },
  };
}

/**
 * The span processor and OTLP/HTTP exporter the protocol variables name:
 * binary protobuf unless http/json is asked for (the specification's
 * default; about half the bytes and CPU of JSON for the same spans,
 * docs/observability.md). Protobuf: the kit's processor, which encodes each
 * span as it ends, and the SDK's export delegate (transport, retries,
 * timeouts, headers, concurrency limit, self-metrics) to send the bytes.
 * JSON: the SDK's batch processor and exporter.
 */
export function otlpProcessor(url: string, config: Pick<TelemetrySettings, 'OTEL_EXPORTER_OTLP_HEADERS' | 'OTEL_EXPORTER_OTLP_PROTOCOL' | 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' | 'OTEL_BSP_SCHEDULE_DELAY' | 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE' | 'OTEL_BSP_MAX_QUEUE_SIZE'>): SpanProcessor {
  const options = { url, headers: parseKeyValues(config.OTEL_EXPORTER_OTLP_HEADERS) };
  const protocol = config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol === 'http/json') return new BatchSpanProcessor(lazyJsonExporter(options), batchSettings(config));
  const delegate = createOtlpHttpExportDelegate(convertLegacyHttpOptions(options, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }), encodedSerializer, 'otlp_http_span_exporter', encodedMetrics, undefined);
  return new EncodingSpanProcessor(delegate, batchSettings(config));
}

/**
 * Start tracing for this process: the sampler and exporter the OTEL_*
 * variables name. Without an endpoint (and without `exporter`) spans are
 * sampled for their ids only and dropped.
 */
export function startTelemetry(opts: StartTelemetryOptions): { exporting: boolean } {
  const { config } = opts;
  const resource = resourceFromAttributes({
    ...parseKeyValues(config.OTEL_RESOURCE_ATTRIBUTES),
    [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? opts.service,
    [ATTR_SERVICE_VERSION]: opts.version ?? '0.1.0',
  });
  const url = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? undefined : `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`);
  const processors: SpanProcessor[] = [];
  if (opts.processor) processors.push(opts.processor);
  else if (opts.exporter && !config.OTEL_SDK_DISABLED) processors.push(new BatchSpanProcessor(opts.exporter, batchSettings(config)));
  else if (url !== undefined && !config.OTEL_SDK_DISABLED) processors.push(otlpProcessor(url, config));
  exporting = processors.length > 0;
  void provider.shutdown().catch(() => undefined);
  // Nothing to send to: sample nothing, so no span is recorded for nothing.
  provider = new BasicTracerProvider({ resource, sampler: exporting ? samplerFrom(config) : new AlwaysOffSampler(), spanProcessors: processors });
  tracer = provider.getTracer('@bazaar/kit', opts.version);
  recorded = { processors: exporting && FOLLOWS_SAMPLED_PARENT.has(config.OTEL_TRACES_SAMPLER) ? processors : [], resource, scope: { name: '@bazaar/kit', ...(opts.version === undefined ? {} : { version: opts.version }) } };
  rootsSampled = SAMPLES_EVERY_ROOT.has(config.OTEL_TRACES_SAMPLER);
  const only = recorded.processors.length === 1 ? recorded.processors[0] : undefined;
  direct = only instanceof EncodingSpanProcessor ? only : undefined;
  return { exporting };
}

/** Send the spans still queued (before exit). Bounded: never holds a shutdown longer than `ms`. */
export async function flushTelemetry(ms = 2000): Promise<void> {
  if (!exporting) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([provider.forceFlush().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** The remote parent a W3C traceparent names, as an OpenTelemetry span context. */
export function remoteParent(traceparent: string | undefined): SpanContext | undefined {
  const parsed = parseTraceparent(traceparent);
  if (!parsed) return undefined;
  const flags = traceparent?.trim().slice(-2) === '00' ? TraceFlags.NONE : TraceFlags.SAMPLED;
  return { traceId: parsed.traceId, spanId: parsed.parentId, traceFlags: flags, isRemote: true };
}

/** Where a new span hangs: the given remote parent, else the current context's span, else the context's ids (remote); undefined: a new trace. */
function parentOf(parent: SpanContext | undefined, ctx: RequestContext | undefined): SpanContext | undefined {
  return parent ?? (ctx ? spanContextOf(ctx) : undefined);
}

/** The span a request context names: its live span, or its ids (from a traceparent: remote). */
function spanContextOf(ctx: RequestContext): SpanContext {
  return ctx.span ? ctx.span.spanContext() : { traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: ctx.traceFlags ?? TraceFlags.SAMPLED, isRemote: true };
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** A remote parent (from a traceparent); default: the current context's span. */
  parent?: SpanContext | undefined;
  /** When the span started (ms since epoch), for work measured after the fact. */
  startTime?: number;
}

/**
 * Start a span (the caller ends it); its parent is `opts.parent` or the current context's span.
 *
 * When the answer is known without asking the sampler (a sampled parent under a sampler that follows it,
 * or a new trace under one that samples every trace), the kit builds the span itself (LiveSpan) and hands it
 * to the same processors; otherwise the SDK's tracer starts it.
 */
export function startSpan(name: string, opts: SpanOptions = {}): Span {
  const parent = parentOf(opts.parent, currentContext());
  if (recorded.processors.length > 0 && (parent ? parent.traceFlags & TraceFlags.SAMPLED : rootsSampled)) {
    return new LiveSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes, startTime: opts.startTime }, parent, recorded);
  }
  return tracer.startSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.attributes ? { attributes: opts.attributes } : {}), ...(opts.startTime === undefined ? {} : { startTime: opts.startTime }) },
    parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
  );
}

/** The request context of a span, inheriting request id and deadline from `base`. */
export function contextOf(span: Span, base: Partial<RequestContext> = {}): RequestContext {
  const sc = span.spanContext();
  return { ...base, requestId: base.requestId ?? sc.spanId, traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags, span };
}

/** Mark a span failed with this error (recorded as an exception event). */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Run `fn` in a new span (child of the current one, or of `opts.parent`), in a
 * context naming that span, so calls, events and log lines inside it belong to it.
 */
export async function inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const span = startSpan(name, opts);
  const ctx = currentContext();
  try {
    return await withContext(contextOf(span, ctx ?? {}), () => fn(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Record work that already happened (e.g. a database query reported with its
 * duration) as a child of the current span.
 *
 * These are most of a checkout's spans (one per SQL statement and Redis
 * call), so they skip the SDK's span machinery: the parent is sampled and the
 * sampler follows a sampled parent (parentbased_*, always_on), so there is
 * nothing to decide, and the span is finished the moment it exists. It goes
 * straight to the span processors as a finished ReadableSpan: no context
 * objects, no sampler call, no attribute copy (the caller's object is kept
 * as is: pass one that nobody changes afterwards), no live-span bookkeeping.
 * Under other samplers it takes the SDK's path.
 */
export function recordSpan(name: string, opts: { kind?: SpanKind; attributes?: Attributes; startTime: number; endTime: number; error?: unknown }): void {
  const ctx = currentContext();
  // No current span, or an unsampled one: nothing to hang it on (background polling stays out of traces).
  if (!ctx || (ctx.traceFlags ?? TraceFlags.SAMPLED) === TraceFlags.NONE) return;
  if (recorded.processors.length === 0) {
    const span = tracer.startSpan(name, { kind: opts.kind ?? SpanKind.CLIENT, startTime: opts.startTime, ...(opts.attributes ? { attributes: opts.attributes } : {}) }, trace.setSpanContext(ROOT_CONTEXT, spanContextOf(ctx)));
    if (opts.error !== undefined) failSpan(span, opts.error);
    span.end(opts.endTime);
    return;
  }
  if (direct !== undefined && opts.error === undefined) {
    direct.record(recorded.resource, recorded.scope, name, opts.kind ?? SpanKind.CLIENT, spanContextOf(ctx), opts.startTime, opts.endTime, opts.attributes ?? NO_ATTRIBUTES);
    return;
  }
  const span = new RecordedSpan(name, opts, spanContextOf(ctx), recorded);
  for (const processor of recorded.processors) processor.onEnd(span);
}
