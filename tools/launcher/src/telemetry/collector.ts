/**
 * The launcher's embedded collector: OTLP/HTTP traces in (binary protobuf or JSON), service log
 * lines in (from the children's stdout), process snapshots every few
 * seconds; all into the telemetry store, in small batches.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeTraces } from './otlp.ts';
import { decodeWireSpans, rpcStatus } from './otlp-protobuf.ts';
import type { StoredLog, TelemetryStore } from './store.ts';

const MAX_BODY = 16 * 1024 * 1024;
/** How often what was received (log lines, span exports) is written, in one transaction. */
const FLUSH_MS = 250;
/** Spans waiting for that write beyond which it happens at once (bounds the memory they hold). */
const FLUSH_SPANS = 16_384;
const PAGE_SIZE = 4096;
const CLOCK_TICKS = 100;

export interface Collector {
  /** POST /v1/traces */
  receiveTraces(req: IncomingMessage, res: ServerResponse): void;
  /** One line of a service's output. */
  line(instance: string, service: string, text: string): void;
  /** Sample RSS and CPU of these processes (Linux /proc; elsewhere nothing is recorded). */
  sample(processes: { name: string; pid: number | undefined }[]): void;
  /** Listeners told about every new batch of log lines (the dashboard's live follow). */
  onLogs(listener: (lines: Omit<StoredLog, 'id'>[]) => void): () => void;
  /** Write what is waiting now (log lines, span exports) and answer the exports. */
  flush(): void;
  /** Span exports received and not yet written. */
  waiting(): number;
  close(): void;
}

/** A span export received and decoded, waiting to be written; answered once it is. */
interface PendingExport {
  store: () => void;
  spans: number;
  answer: (stored: boolean, message?: string) => void;
}

/**
 * Create the collector over `store`.
 *
 * What arrives is written every FLUSH_MS in one transaction: the log lines of
 * every service and the span exports received meanwhile. An export is
 * answered (200) only once its spans are committed, so an exporter never
 * takes spans for stored that are not; if the write fails, each export (and
 * the lines) is written again on its own, and one that still fails is
 * answered 503, which OTLP exporters retry. One commit for everything a quarter second
 * brought instead of one per export and one per batch of lines: a commit
 * rewrites every index page its rows touched, and trace keys land anywhere
 * (docs/observability.md, "Overhead").
 */
export function createCollector(store: TelemetryStore, opts: { flushMs?: number } = {}): Collector {
  let pending: Omit<StoredLog, 'id'>[] = [];
  let exports: PendingExport[] = [];
  let exportSpans = 0;
  const listeners = new Set<(lines: Omit<StoredLog, 'id'>[]) => void>();
  const cpu = new Map<string, { ticks: number; at: number }>();
  const flush = () => {
    if (pending.length === 0 && exports.length === 0) return;
    const lines = pending;
    const received = exports;
    pending = [];
    exports = [];
    exportSpans = 0;
    const failures = new Map<PendingExport | 'lines', Error>();
    try {
      store.batch(() => {
        store.addLogs(lines);
        for (const e of received) e.store();
      });
    } catch {
      // Something in the batch could not be written: each part again on its own, so that one bad export (or the
      // lines) fails alone and the rest is stored.
      const alone = (key: PendingExport | 'lines', write: () => void) => {
        try {
          store.batch(write);
        } catch (error) {
          failures.set(key, error as Error);
        }
      };
      alone('lines', () => store.addLogs(lines));
      for (const e of received) alone(e, e.store);
    }
    const linesFailed = failures.get('lines');
    if (linesFailed) process.stderr.write(`launcher: could not store ${lines.length} log lines: ${linesFailed.message}\n`);
    const exportsFailed = received.filter((e) => failures.has(e)).length;
    if (exportsFailed > 0) process.stderr.write(`launcher: could not store ${exportsFailed} of ${received.length} span exports: ${[...failures.values()][0]?.message}\n`);
    for (const e of received) e.answer(!failures.has(e), failures.get(e)?.message);
    if (lines.length > 0) for (const l of listeners) l(lines);
  };
  const timer = setInterval(flush, opts.flushMs ?? FLUSH_MS);
  timer.unref();
  const prune = setInterval(() => store.prune(), 60_000);
  prune.unref();

  return {
    receiveTraces(req, res) {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy();
        else chunks.push(c);
      });
      req.on('end', () => {
        const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        const protobuf = type === 'application/x-protobuf';
        if (!protobuf && type !== 'application/json') {
          res.writeHead(415, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 3, message: 'This collector takes OTLP/HTTP traces as binary protobuf (Content-Type: application/x-protobuf) or JSON (application/json).' }));
          return;
        }
        let received: PendingExport;
        try {
          const body = Buffer.concat(chunks);
          const answer = (stored: boolean, message = 'The telemetry store could not write the spans; send them again.') => {
            if (stored) {
              // An empty ExportTraceServiceResponse: no bytes in protobuf, {} in JSON.
              res.writeHead(200, { 'content-type': type });
              res.end(protobuf ? undefined : '{}');
            } else {
              // UNAVAILABLE (14): the exporter retries.
              res.writeHead(503, { 'content-type': type });
              res.end(protobuf ? rpcStatus(14, message) : JSON.stringify({ code: 14, message }));
            }
          };
          if (protobuf) {
            const spans = decodeWireSpans(body);
            received = { store: () => store.addWireSpans(spans), spans: spans.length, answer };
          } else {
            const spans = decodeTraces(JSON.parse(body.toString('utf8')));
            received = { store: () => store.addSpans(spans), spans: spans.length, answer };
          }
        } catch (error) {
          // A google.rpc.Status with code 3 (INVALID_ARGUMENT), in the request's encoding.
          const message = (error as Error).message;
          res.writeHead(400, { 'content-type': type });
          res.end(protobuf ? rpcStatus(3, message) : JSON.stringify({ code: 3, message }));
          return;
        }
        exports.push(received);
        exportSpans += received.spans;
        if (exportSpans >= FLUSH_SPANS) flush();
      });
    },
    line(instance, service, text) {
      const parsed = parseLine(text);
      pending.push({ ...parsed, instance, service: parsed.service ?? service });
      if (pending.length >= 1000) flush();
    },
    sample(processes) {
      const now = Date.now();
      const out = [];
      for (const p of processes) {
        if (p.pid === undefined) continue;
        try {
          const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
          // Fields after the command name (which may contain spaces) start after the last ')'.
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const ticks = Number(fields[11]) + Number(fields[12]);
          const rssBytes = Number(fields[21]) * PAGE_SIZE;
          const before = cpu.get(p.name);
          cpu.set(p.name, { ticks, at: now });
          const cpuPercent = before && now > before.at ? Math.max(0, ((ticks - before.ticks) / CLOCK_TICKS / ((now - before.at) / 1000)) * 100) : 0;
          out.push({ time: now, instance: p.name, rssBytes, cpuPercent });
        } catch {
          // Not Linux, or the process just exited.
        }
      }
      store.addSnapshots(out);
    },
    flush,
    waiting: () => exports.length,
    onLogs(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      clearInterval(timer);
      clearInterval(prune);
      flush();
    },
  };
}

const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A service's log line: pino JSON when it is, plain text otherwise. */
function parseLine(text: string): Omit<StoredLog, 'id' | 'instance' | 'service'> & { service?: string } {
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as Record<string, unknown>;
      const time = typeof j.time === 'string' ? Date.parse(j.time) : typeof j.time === 'number' ? j.time : Date.now();
      const level = typeof j.level === 'number' ? (PINO_LEVELS[j.level] ?? String(j.level)) : typeof j.level === 'string' ? j.level : 'info';
      const traceId = typeof j.trace_id === 'string' ? j.trace_id : typeof j.traceId === 'string' ? j.traceId : null;
      return {
        time: Number.isFinite(time) ? time : Date.now(),
        level,
        msg: typeof j.msg === 'string' ? j.msg : '',
        traceId,
        spanId: typeof j.span_id === 'string' ? j.span_id : null,
        line: text,
        ...(typeof j.service === 'string' ? { service: j.service } : {}),
      };
    } catch {
      // Not JSON after all.
    }
  }
  return { time: Date.now(), level: 'info', msg: text.slice(0, 500), traceId: null, spanId: null, line: text };
}
