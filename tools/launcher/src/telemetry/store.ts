/**
 * The launcher's telemetry store: spans received over OTLP/HTTP, every
 * service's log lines (indexed by trace id), and process snapshots, in one
 * SQLite file in the data dir, so they survive a restart of any service or of
 * the launcher. Old rows are deleted by age and by count (retention).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { spansOfChunk, type WireSpan } from './otlp-protobuf.ts';

/** One span as stored (times in ms since epoch, with sub-ms fractions). */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  instance: string | null;
  name: string;
  /** OpenTelemetry SpanKind: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  kind: number;
  start: number;
  end: number;
  durationMs: number;
  /** 0 unset, 1 ok, 2 error. */
  status: number;
  statusMessage: string | null;
  orderId: string | null;
  route: string | null;
  httpStatus: number | null;
  attributes: Record<string, unknown>;
}

export interface StoredLog {
  id: number;
  time: number;
  service: string;
  instance: string;
  level: string;
  msg: string;
  traceId: string | null;
  spanId: string | null;
  line: string;
}

export interface TraceSummary {
  traceId: string;
  root: string;
  rootService: string;
  start: number;
  durationMs: number;
  spans: number;
  services: string[];
  errors: number;
  orderId: string | null;
}

export interface Retention {
  /** Rows older than this are deleted. Default 24 h. */
  maxAgeMs: number;
  /** At most this many spans (and as many log lines) are kept. Default 500 000. */
  maxRows: number;
}

export interface ProcessSnapshot {
  time: number;
  instance: string;
  rssBytes: number;
  cpuPercent: number;
}

/**
 * Spans are stored in chunks: one row per trace per OTLP export (a service's
 * export holds spans of many traces; each trace's share is one row), with
 * what the dashboard searches on beside them (trace id, service, times,
 * errors, order id, names). The body holds the spans: those received as
 * protobuf (what the services send) as their own bytes, a blob of Span
 * fields read in full only when a trace is shown (ADR 0048); those received
 * as JSON as a JSON array of tuples (text). A checkout's ~120
 * spans arrive as ~15 chunks. Until version 2 every span was a row of its own
 * with four indexes, and the insert was most of the launcher's ~16 µs of CPU
 * per span, in the process that receives every span of the system
 * (docs/observability.md, "Overhead"). Version 0 was a `without rowid` table
 * keyed on (trace id, span id); version 1 a rowid table; both are migrated.
 *
 * Chunks and log lines are found by trace through `trace_key`, an integer
 * made of the trace id's first 52 bits, not through the 32-character id
 * itself (version 3). Trace ids are random, so every insert lands somewhere
 * random in that index: with text keys (and, until version 3, a unique index
 * on trace id and first span id) each export dirtied most of a large index
 * and the insert was most of the launcher's cost per chunk; an integer index
 * is a third of the size (docs/observability.md, "Overhead"). Lookups ask for
 * the key and the id: two traces sharing 52 bits are told apart by the id.
 * A chunk is unique on (trace key, its first span's key): an export the
 * exporter sends again after a timeout replaces the chunk it sent before,
 * and reads keep the last copy of each span id.
 */
const SCHEMA_VERSION = 3;

/**
 * At most this many spans (and as many log lines) are deleted by the trim that ends a write over the limit: what
 * a quarter second of a heavy load brings, deleted in the same commit. Deleting a minute's inflow at once (700,000
 * spans after a read load) held the launcher's event loop for 4 s (docs/performance.md, "December 7, fifth session").
 */
const TRIM_SLICE = 20_000;

const SCHEMA = `
create table if not exists span_chunks (
  id integer primary key, trace_id text not null, first_span_id text not null, service text not null, instance text,
  start real not null, "end" real not null, spans integer not null, errors integer not null, order_id text,
  root_name text, first_name text not null, names text not null, body text not null,
  trace_key integer not null default 0, first_span_key integer not null default 0
);
create unique index if not exists span_chunks_trace_key on span_chunks (trace_key, first_span_key);
create index if not exists span_chunks_end on span_chunks ("end");
create index if not exists span_chunks_order on span_chunks (order_id) where order_id is not null;
create index if not exists span_chunks_service_start on span_chunks (service, start);
create table if not exists logs (
  id integer primary key, time real not null, service text not null, instance text not null, level text not null,
  msg text not null, trace_id text, span_id text, line text not null, trace_key integer
);
create index if not exists logs_time on logs (time);
create index if not exists logs_trace_key on logs (trace_key) where trace_key is not null;
create table if not exists snapshots (time real not null, instance text not null, rss_bytes integer not null, cpu_percent real not null);
create index if not exists snapshots_time on snapshots (time);
`;

/** A span inside a chunk: what is not the chunk's own (trace id, service, instance). */
type SpanTuple = [spanId: string, parentSpanId: string | null, name: string, kind: number, start: number, end: number, status: number, statusMessage: string | null, orderId: string | null, route: string | null, httpStatus: number | null, attributes: Record<string, unknown>];

/**
 * Group spans by trace within each service instance, in arrival order: the chunks one export makes. An export's
 * spans come resource by resource (decodeTraces), so the resource is compared with the previous span's rather than
 * made part of a key per span.
 */
function chunksOf<S extends ChunkSpan>(spans: S[]): S[][] {
  const chunks: S[][] = [];
  let byTrace = new Map<string, S[]>();
  let service: string | undefined;
  let instance: string | null | undefined;
  for (const s of spans) {
    if (s.service !== service || s.instance !== instance) {
      service = s.service;
      instance = s.instance;
      byTrace = new Map();
    }
    let chunk = byTrace.get(s.traceId);
    if (!chunk) {
      chunk = [];
      byTrace.set(s.traceId, chunk);
      chunks.push(chunk);
    }
    chunk.push(s);
  }
  return chunks;
}

type Row = Record<string, SQLInputValue>;

const INSERT_CHUNK = `insert or replace into span_chunks (trace_id, trace_key, first_span_id, first_span_key, service, instance, start, "end", spans, errors, order_id, root_name, first_name, names, body)
  values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`;

/**
 * The integer a trace (or a chunk's first span) is indexed by: the first 13
 * hex digits of its id (52 bits: a safe integer, no BigInt). An id that is
 * not hex (only a malformed JSON export could carry one) gets 0, still found
 * through its full id.
 */
export function traceKey(traceId: string): number {
  const key = Number.parseInt(traceId.slice(0, 13), 16);
  return Number.isNaN(key) ? 0 : key;
}

/** What a chunk's columns are made of: a stored span, or one received in protobuf (kept as its bytes). */
type ChunkSpan = Pick<StoredSpan, 'traceId' | 'spanId' | 'parentSpanId' | 'service' | 'instance' | 'name' | 'start' | 'end' | 'status' | 'orderId' | 'route'>;

/** A chunk's body: JSON tuples (text) for spans received as JSON, the spans' own protobuf bytes (a blob) for protobuf. */
const tuplesOf = (spans: StoredSpan[]): string =>
  JSON.stringify(spans.map((s): SpanTuple => [s.spanId, s.parentSpanId, s.name, s.kind, s.start, s.end, s.status, s.statusMessage, s.orderId, s.route, s.httpStatus, s.attributes]));
const bytesOf = (spans: WireSpan[]): Buffer => Buffer.concat(spans.map((s) => s.raw));

/** Store one chunk (spans of one trace from one service instance, in arrival order). */
function writeChunk<S extends ChunkSpan>(insert: StatementSync, spans: S[], body: (spans: S[]) => string | Buffer): void {
  const first = spans[0] as S;
  let start = first.start;
  let end = first.end;
  let errors = 0;
  let orderId: string | null = null;
  let root: string | null = null;
  let earliest = first;
  const names = new Set<string>();
  for (const s of spans) {
    if (s.start < start) start = s.start;
    if (s.end > end) end = s.end;
    if (s.status === 2) errors += 1;
    if (s.orderId !== null) orderId = s.orderId;
    if (s.parentSpanId === null && root === null) root = s.name;
    if (s.start < earliest.start) earliest = s;
    names.add(s.name);
    if (s.route !== null) names.add(s.route);
  }
  insert.run(first.traceId, traceKey(first.traceId), first.spanId, traceKey(first.spanId), first.service, first.instance, start, end, spans.length, errors, orderId, root, earliest.name, [...names].join('\n'), body(spans));
}

/** The spans of a chunk row. */
function spansOf(r: Row): StoredSpan[] {
  const traceId = r.trace_id as string;
  const service = r.service as string;
  const instance = (r.instance as string | null) ?? null;
  if (r.body instanceof Uint8Array) return spansOfChunk(Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength), service, instance);
  return (JSON.parse(r.body as string) as SpanTuple[]).map(([spanId, parentSpanId, name, kind, start, end, status, statusMessage, orderId, route, httpStatus, attributes]) => ({
    traceId,
    spanId,
    parentSpanId,
    service,
    instance,
    name,
    kind,
    start,
    end,
    durationMs: Math.max(0, end - start),
    status,
    statusMessage,
    orderId,
    route,
    httpStatus,
    attributes,
  }));
}

/** Give a table of a version 2 store its integer keys, filled in, and drop its text trace index. */
function addTraceKey(db: DatabaseSync, table: 'span_chunks' | 'logs', oldIndex: string): void {
  const columns = db.prepare(`pragma table_info(${table})`).all() as Row[];
  if (columns.length === 0 || columns.some((c) => c.name === 'trace_key')) return;
  if (table === 'span_chunks') {
    db.exec('alter table span_chunks add column trace_key integer not null default 0; alter table span_chunks add column first_span_key integer not null default 0');
    db.exec('update span_chunks set trace_key = bazaar_trace_key(trace_id), first_span_key = bazaar_trace_key(first_span_id)');
  } else {
    db.exec('alter table logs add column trace_key integer');
    db.exec('update logs set trace_key = bazaar_trace_key(trace_id) where trace_id is not null');
  }
  db.exec(`drop index if exists ${oldIndex}`);
}

/** Bring a store written by an older launcher to SCHEMA_VERSION, keeping its spans. */
function migrate(db: DatabaseSync): void {
  const version = Number((db.prepare('pragma user_version').get() as Row).user_version);
  if (version >= SCHEMA_VERSION) return;
  const old = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'spans'").get() as Row | undefined;
  db.function('bazaar_trace_key', { deterministic: true }, (id) => traceKey(String(id)));
  db.exec('begin');
  try {
    addTraceKey(db, 'span_chunks', 'span_chunks_trace');
    addTraceKey(db, 'logs', 'logs_trace');
    db.exec(SCHEMA);
    if (old) {
      // Versions 0 and 1: one row per span, the same columns. Rows of one trace, service and instance become a chunk.
      const insert = db.prepare(INSERT_CHUNK);
      let chunk: StoredSpan[] = [];
      let key = '';
      for (const r of db.prepare('select * from spans order by trace_id, service, instance, start').iterate() as Iterable<Row>) {
        const span: StoredSpan = {
          traceId: r.trace_id as string,
          spanId: r.span_id as string,
          parentSpanId: (r.parent_span_id as string | null) ?? null,
          service: r.service as string,
          instance: (r.instance as string | null) ?? null,
          name: r.name as string,
          kind: Number(r.kind),
          start: Number(r.start),
          end: Number(r.end),
          durationMs: Number(r.duration_ms),
          status: Number(r.status),
          statusMessage: (r.status_message as string | null) ?? null,
          orderId: (r.order_id as string | null) ?? null,
          route: (r.route as string | null) ?? null,
          httpStatus: r.http_status === null ? null : Number(r.http_status),
          attributes: JSON.parse(r.attributes as string) as Record<string, unknown>,
        };
        const next = `${span.traceId} ${span.service} ${span.instance ?? ''}`;
        if (next !== key && chunk.length > 0) {
          writeChunk(insert, chunk, tuplesOf);
          chunk = [];
        }
        key = next;
        chunk.push(span);
      }
      if (chunk.length > 0) writeChunk(insert, chunk, tuplesOf);
      db.exec('drop table spans');
    }
    db.exec(`pragma user_version = ${SCHEMA_VERSION}`);
    db.exec('commit');
  } catch (error) {
    db.exec('rollback');
    throw error;
  }
}

/** Open (or create) the store at `file`. */
export function openTelemetryStore(file: string, retention: Partial<Retention> = {}) {
  mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  // A 16 MB page cache (SQLite's default is 2 MB): the trace-key index takes a random insert per chunk, and once it
  // outgrows the cache every export reads its pages back from the file.
  db.exec('pragma journal_mode = wal; pragma synchronous = normal; pragma busy_timeout = 2000; pragma cache_size = -16384;');
  migrate(db);
  db.exec(SCHEMA);
  const limits: Retention = { maxAgeMs: retention.maxAgeMs ?? 24 * 3600_000, maxRows: retention.maxRows ?? 500_000 };

  const insertChunk = db.prepare(INSERT_CHUNK);
  /**
   * How many spans the store holds: counted once here, then kept as chunks come and go, so that retention by count
   * does not sum (and sort) every chunk once a minute: at the limit that was 0.3–0.5 s of the launcher's CPU each
   * time (docs/performance.md, "December 7, fourth session"). A chunk sent again replaces its row and is counted
   * twice; the only effect is that retention keeps a few spans fewer than it may.
   */
  let spanTotal = Number((db.prepare('select coalesce(sum(spans), 0) as n from span_chunks').get() as Row).n);
  const oldestChunks = db.prepare('select id, spans from span_chunks where id > ? order by id limit 500');
  const deleteChunksUpTo = db.prepare('delete from span_chunks where id <= ? returning spans');
  // Two subqueries: SQLite reads a lone min() or max() of the key off the b-tree's ends, but scans the table for both in one select.
  const logBounds = db.prepare('select (select min(id) from logs) as first, (select max(id) from logs) as last');
  const deleteLogsUpTo = db.prepare('delete from logs where id <= ?');
  const sumOf = (rows: Row[]): number => rows.reduce((n, r) => n + Number(r.spans), 0);
  const insertLog = db.prepare(`insert into logs (time, service, instance, level, msg, trace_id, trace_key, span_id, line) values (?,?,?,?,?,?,?,?,?)`);
  const insertSnapshot = db.prepare(`insert into snapshots values (?,?,?,?)`);

  /** Spans of these chunk rows, oldest first; a span found in two chunks (an export sent again, split otherwise) once, as last received. */
  const spansFrom = (rows: Row[]): StoredSpan[] => {
    const byId = new Map<string, StoredSpan>();
    for (const r of rows.sort((x, y) => Number(x.id) - Number(y.id))) for (const span of spansOf(r)) byId.set(`${span.traceId}/${span.spanId}`, span);
    return [...byId.values()].sort((x, y) => x.start - y.start);
  };
  const toLog = (r: Row): StoredLog => ({
    id: Number(r.id),
    time: Number(r.time),
    service: r.service as string,
    instance: r.instance as string,
    level: r.level as string,
    msg: r.msg as string,
    traceId: (r.trace_id as string | null) ?? null,
    spanId: (r.span_id as string | null) ?? null,
    line: r.line as string,
  });

  /**
   * Delete the chunks that arrived first while more than `maxRows` spans are kept (whole chunks: at most `maxRows`
   * stay), and log lines past `maxRows`; at most `slice` spans and `slice` lines at a time. Only the chunks that go
   * are read.
   */
  function trimToLimits(slice = Number.POSITIVE_INFINITY): void {
    let excess = Math.min(spanTotal - limits.maxRows, slice);
    let lastId = 0;
    while (excess > 0) {
      const rows = oldestChunks.all(lastId) as Row[];
      if (rows.length === 0) break;
      for (const r of rows) {
        if (excess <= 0) break;
        lastId = Number(r.id);
        excess -= Number(r.spans);
      }
    }
    if (lastId > 0) spanTotal -= sumOf(deleteChunksUpTo.all(lastId) as Row[]);
    if (spanTotal < 0) spanTotal = 0;
    const logs = logBounds.get() as Row;
    if (logs.last !== null && Number(logs.last) - Number(logs.first) + 1 > limits.maxRows) {
      deleteLogsUpTo.run(Math.min(Number(logs.last) - limits.maxRows, Number(logs.first) - 1 + slice));
    }
  }

  let inTransaction = false;
  /** Rows were added in the open transaction: it ends by trimming the store to its limits. */
  let added = false;
  /**
   * Run `fn` in a transaction, or inside the one already open (batch). A transaction that added spans or lines
   * ends by deleting what is over the limits by count, a slice at a time, so the store stays at its limit as it
   * fills instead of deleting a minute's inflow at once (docs/observability.md, "Retention").
   */
  function transaction(fn: () => void): void {
    if (inTransaction) return fn();
    db.exec('begin');
    inTransaction = true;
    added = false;
    try {
      fn();
      if (added) trimToLimits(TRIM_SLICE);
      db.exec('commit');
    } catch (error) {
      db.exec('rollback');
      throw error;
    } finally {
      inTransaction = false;
    }
  }

  function write<S extends ChunkSpan>(spans: S[], body: (spans: S[]) => string | Buffer): void {
    if (spans.length === 0) return;
    transaction(() => {
      for (const chunk of chunksOf(spans)) writeChunk(insertChunk, chunk, body);
      spanTotal += spans.length;
      added = true;
    });
  }

  return {
    file,
    /** Store spans (one OTLP export's worth) in one transaction. */
    addSpans(spans: StoredSpan[]): void {
      write(spans, tuplesOf);
    },
    /** Store spans received as protobuf (one export's worth), their bytes as they came, in one transaction. */
    addWireSpans(spans: WireSpan[]): void {
      write(spans, bytesOf);
    },
    addLogs(lines: Omit<StoredLog, 'id'>[]): void {
      if (lines.length === 0) return;
      transaction(() => {
        for (const l of lines) insertLog.run(l.time, l.service, l.instance, l.level, l.msg, l.traceId, l.traceId === null ? null : traceKey(l.traceId), l.spanId, l.line);
        added = true;
      });
    },
    /**
     * Run `fn` (adding spans, logs…) as one transaction: the collector writes everything received in a quarter
     * second at once, since each commit rewrites every index page its rows touched, and trace keys are random.
     */
    batch(fn: () => void): void {
      transaction(fn);
    },
    addSnapshots(snapshots: ProcessSnapshot[]): void {
      for (const s of snapshots) insertSnapshot.run(s.time, s.instance, s.rssBytes, s.cpuPercent);
    },
    /** Every span of one trace, oldest first. */
    trace(traceId: string): StoredSpan[] {
      const id = traceId.toLowerCase();
      return spansFrom(db.prepare('select * from span_chunks where trace_key = ? and trace_id = ?').all(traceKey(id), id) as Row[]);
    },
    /** Traces matching a search, newest first. */
    searchTraces(q: { service?: string; route?: string; status?: 'error' | 'ok'; minMs?: number; orderId?: string; traceId?: string; limit?: number }): TraceSummary[] {
      const where: string[] = [];
      const args: SQLInputValue[] = [];
      if (q.traceId) {
        where.push('trace_key = ? and trace_id = ?');
        args.push(traceKey(q.traceId.toLowerCase()), q.traceId.toLowerCase());
      }
      if (q.orderId) {
        where.push('(trace_key, trace_id) in (select trace_key, trace_id from span_chunks where order_id = ?)');
        args.push(q.orderId);
      }
      if (q.service) {
        where.push('(trace_key, trace_id) in (select trace_key, trace_id from span_chunks where service = ?)');
        args.push(q.service);
      }
      if (q.route) {
        where.push('(trace_key, trace_id) in (select trace_key, trace_id from span_chunks where names like ?)');
        args.push(`%${q.route}%`);
      }
      const having: string[] = [];
      if (q.status === 'error') having.push('sum(errors) > 0');
      if (q.status === 'ok') having.push('sum(errors) = 0');
      if (q.minMs !== undefined) having.push('max("end") - min(start) >= ?');
      const sql = `select trace_id, min(start) as start, max("end") - min(start) as duration, sum(spans) as n, sum(errors) as errors,
          group_concat(distinct service) as services, max(order_id) as order_id
        from span_chunks ${where.length ? `where ${where.join(' and ')}` : ''}
        group by trace_id ${having.length ? `having ${having.join(' and ')}` : ''}
        order by start desc limit ?`;
      if (q.minMs !== undefined) args.push(q.minMs);
      args.push(q.limit ?? 50);
      const rows = db.prepare(sql).all(...args) as Row[];
      const rootOf = db.prepare('select coalesce(root_name, first_name) as name, service from span_chunks where trace_key = ? and trace_id = ? order by (root_name is null), start limit 1');
      return rows.map((r) => {
        const root = rootOf.get(traceKey(r.trace_id as string), r.trace_id as string) as Row | undefined;
        return {
          traceId: r.trace_id as string,
          root: (root?.name as string | undefined) ?? '',
          rootService: (root?.service as string | undefined) ?? '',
          start: Number(r.start),
          durationMs: Number(r.duration),
          spans: Number(r.n),
          services: String(r.services ?? '').split(',').filter(Boolean).sort(),
          errors: Number(r.errors),
          orderId: (r.order_id as string | null) ?? null,
        };
      });
    },
    /** Spans carrying this order id, plus every span of their traces, oldest first. */
    orderSpans(orderId: string): StoredSpan[] {
      return spansFrom(
        db.prepare('select * from span_chunks where (trace_key, trace_id) in (select trace_key, trace_id from span_chunks where order_id = ?)').all(orderId) as Row[],
      );
    },
    /** Spans that started after `since` (for the topology), at most `limit`. */
    spansSince(since: number, limit = 50_000): StoredSpan[] {
      // Chunks by when their last span ended, newest first, until `limit` spans are in hand.
      const rows: Row[] = [];
      let spans = 0;
      for (const r of db.prepare('select * from span_chunks where "end" >= ? order by "end" desc').iterate(since) as Iterable<Row>) {
        rows.push(r);
        spans += Number(r.spans);
        if (spans >= limit) break;
      }
      return spansFrom(rows)
        .filter((s) => s.start >= since)
        .reverse()
        .slice(0, limit);
    },
    /** Log lines, newest first, filtered. */
    logs(q: { service?: string; level?: string; text?: string; traceId?: string; afterId?: number; limit?: number }): StoredLog[] {
      const where: string[] = [];
      const args: SQLInputValue[] = [];
      if (q.service) {
        where.push('service = ?');
        args.push(q.service);
      }
      if (q.level) {
        where.push('level in (' + levelsFrom(q.level).map(() => '?').join(',') + ')');
        args.push(...levelsFrom(q.level));
      }
      if (q.traceId) {
        where.push('trace_key = ? and trace_id = ?');
        args.push(traceKey(q.traceId.toLowerCase()), q.traceId.toLowerCase());
      }
      if (q.text) {
        where.push('line like ?');
        args.push(`%${q.text}%`);
      }
      if (q.afterId !== undefined) {
        where.push('id > ?');
        args.push(q.afterId);
      }
      args.push(q.limit ?? 200);
      return (db.prepare(`select * from logs ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit ?`).all(...args) as Row[]).map(toLog);
    },
    /** The latest snapshot of each instance. */
    latestSnapshots(): Map<string, ProcessSnapshot> {
      const rows = db.prepare('select s.* from snapshots s join (select instance, max(time) as t from snapshots group by instance) m on s.instance = m.instance and s.time = m.t').all() as Row[];
      return new Map(rows.map((r) => [r.instance as string, { time: Number(r.time), instance: r.instance as string, rssBytes: Number(r.rss_bytes), cpuPercent: Number(r.cpu_percent) }]));
    },
    /**
     * Delete what is past the retention limits: spans and lines older than `maxAgeMs`, then what is over the limits
     * by count (which every write also trims, a slice at a time; this takes whatever is left, at once).
     */
    prune(now = Date.now()): void {
      const cutoff = now - limits.maxAgeMs;
      transaction(() => {
        spanTotal -= sumOf(db.prepare('delete from span_chunks where "end" < ? returning spans').all(cutoff) as Row[]);
        db.prepare('delete from logs where time < ?').run(cutoff);
        db.prepare('delete from snapshots where time < ?').run(cutoff);
        trimToLimits();
      });
    },
    close(): void {
      db.close();
    },
  };
}

export type TelemetryStore = ReturnType<typeof openTelemetryStore>;

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** "warn" means warn and worse. */
function levelsFrom(level: string): string[] {
  const at = LEVELS.indexOf(level);
  return at < 0 ? [level] : LEVELS.slice(at);
}
