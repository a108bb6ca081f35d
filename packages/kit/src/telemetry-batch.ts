/**
 * The kit's batch span processor for OTLP/HTTP protobuf (the default
 * protocol): a span is encoded the moment it ends, into the bytes of the next
 * export (otlp-encode.ts SpanBatch), instead of being kept as objects until
 * the batch is serialised. The OTEL_BSP_* variables mean what they mean for
 * the SDK's BatchSpanProcessor: an export every `scheduledDelayMillis` of the
 * spans ended since, at once when `maxExportBatchSize` have ended, one export
 * in flight at a time, spans beyond `maxQueueSize` waiting dropped.
 *
 * Why (ADR 0050; docs/observability.md, "Overhead"): a checkout ends about a
 * hundred spans; kept for up to two seconds, each one's objects (the span,
 * its context, times, status) outlived the young generation and were
 * collected by the old generation's collector; and the SDK's processor added
 * a queue push per span and an array walk per export. Encoded at once, the
 * objects die young and an export is a copy of bytes already written.
 *
 * The SDK's export delegate still sends them: the same transport, timeouts,
 * headers, retries, concurrency limit and self-metrics as its exporter.
 */
import { diag, TraceFlags, type Attributes, type SpanContext, type SpanKind } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanBatch } from './otlp-encode.ts';
import { outsideContext } from './context.ts';

/** An export's bytes (one ExportTraceServiceRequest) and how many spans they hold. */
export interface EncodedSpans {
  bytes: Uint8Array;
  count: number;
}

/** What sends an export: the SDK's OTLP export delegate, or a test's. */
export interface EncodedSpansExporter {
  export(spans: EncodedSpans, done: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface EncodingSettings {
  scheduledDelayMillis: number;
  maxExportBatchSize: number;
  maxQueueSize: number;
  /** How long an export may take before the next one is allowed to start (the SDK's default: 30 s). */
  exportTimeoutMillis?: number;
}

export class EncodingSpanProcessor implements SpanProcessor {
  private readonly batch = new SpanBatch();
  private readonly settings: Required<EncodingSettings>;
  /** Exports encoded but not yet handed to the exporter (they wait while one is in flight). */
  private readonly waiting: EncodedSpans[] = [];
  private waitingSpans = 0;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private shutDown = false;

  private readonly exporter: EncodedSpansExporter;

  constructor(exporter: EncodedSpansExporter, settings: EncodingSettings) {
    this.exporter = exporter;
    this.settings = { exportTimeoutMillis: 30_000, ...settings, maxExportBatchSize: Math.min(settings.maxExportBatchSize, settings.maxQueueSize) };
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0 || !this.admit()) return;
    try {
      this.batch.add(span);
    } catch (error) {
      diag.error('a span could not be encoded, dropped', error);
      return;
    }
    this.added();
  }

  /**
   * A finished span given by its parts, child of the sampled `parent` (telemetry.ts recordSpan): the same bytes
   * as onEnd of its RecordedSpan, without building one.
   */
  record(resource: Resource, scope: InstrumentationScope, name: string, kind: SpanKind, parent: SpanContext, startMs: number, endMs: number, attributes: Attributes): void {
    if (!this.admit()) return;
    try {
      this.batch.addRecorded(resource, scope, name, kind, parent, startMs, endMs, attributes);
    } catch (error) {
      diag.error('a span could not be encoded, dropped', error);
      return;
    }
    this.added();
  }

  /** Whether one more span fits in the queue (the SDK's maxQueueSize: beyond it spans are dropped and counted). */
  private admit(): boolean {
    if (this.shutDown) return false;
    if (this.waitingSpans + this.batch.count >= this.settings.maxQueueSize) {
      if (this.dropped === 0) diag.debug('maxQueueSize reached, dropping spans');
      this.dropped += 1;
      return false;
    }
    if (this.dropped > 0) {
      diag.warn(`Dropped ${this.dropped} spans because maxQueueSize reached`);
      this.dropped = 0;
    }
    return true;
  }

  private added(): void {
    // The export belongs to no request: started outside the context of the one whose span ended here.
    if (this.batch.count >= this.settings.maxExportBatchSize) outsideContext(() => this.sendNow());
    else if (this.timer === undefined) outsideContext(() => this.startTimer());
  }

  private sendNow(): void {
    this.seal();
    this.pump();
  }

  private startTimer(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sendNow();
    }, this.settings.scheduledDelayMillis);
    this.timer.unref();
  }

  /** Send everything ended so far; resolves when it has been sent (or failed). */
  async forceFlush(): Promise<void> {
    this.seal();
    while (this.inFlight || this.waiting.length > 0) {
      this.pump();
      await this.inFlight;
    }
    await this.exporter.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (this.shutDown) return;
    await this.forceFlush();
    this.shutDown = true;
    await this.exporter.shutdown();
  }

  /** Close the spans ended so far into one export. */
  private seal(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const count = this.batch.count;
    if (count === 0) return;
    this.waiting.push({ bytes: this.batch.take(), count });
    this.waitingSpans += count;
  }

  /** Hand the next export to the exporter unless one is in flight. */
  private pump(): void {
    if (this.inFlight) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.waitingSpans -= next.count;
    this.inFlight = new Promise<void>((resolve) => {
      const timeout = setTimeout(() => {
        diag.warn(`an export of ${next.count} spans took over ${this.settings.exportTimeoutMillis} ms; the next one starts`);
        resolve();
      }, this.settings.exportTimeoutMillis);
      timeout.unref();
      const finish = (result: ExportResult): void => {
        clearTimeout(timeout);
        if (result.code !== ExportResultCode.SUCCESS) diag.error(`export of ${next.count} spans failed`, result.error);
        resolve();
      };
      try {
        this.exporter.export(next, finish);
      } catch (error) {
        finish({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }).then(() => {
      this.inFlight = undefined;
      this.pump();
    });
  }
}
