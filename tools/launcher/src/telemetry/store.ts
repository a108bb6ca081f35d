/**
 * The launcher's telemetry store: spans received over OTLP/HTTP, every
 * service's log lines (indexed by trace id), and process snapshots, in one
 * SQLite file in the data dir, so they survive a restart of any service or of
 * the launcher. Old rows are deleted by age and by count (retention).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';

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
 * Spans go into a plain rowid table, appended in arrival order, with a unique
 * index on their ids. Until version 1 the table was `without rowid`, keyed on
 * (trace id, span id): every insert placed a whole row (attributes and all) at
 * a random point of that B-tree, twice the CPU per span, in the process that
 * receives every span of the system (docs/observability.md).
 */
const SPANS_TABLE = `
create table if not exists spans (
  trace_id text not null, span_id text not null, parent_span_id text, service text not null, instance text,
  name text not null, kind integer not null, start real not null, "end" real not null, duration_ms real not null,
  status integer not null, status_message text, order_id text, route text, http_status integer, attributes text not null
);`;
const SPAN_INDEXES = ['spans_ids', 'spans_start', 'spans_order', 'spans_service_start'];
const SCHEMA_VERSION = 1;

const SCHEMA = `${SPANS_TABLE}
create unique index if not exists spans_ids on spans (trace_id, span_id);
create index if not exists spans_start on spans (start);
create index if not exists spans_order on spans (order_id) where order_id is not null;
create index if not exists spans_service_start on spans (service, start);
create table if not exists logs (
  id integer primary key, time real not null, service text not null, instance text not null, level text not null,
  msg text not null, trace_id text, span_id text, line text not null
);
create index if not exists logs_time on logs (time);
create index if not exists logs_trace on logs (trace_id) where trace_id is not null;
create table if not exists snapshots (time real not null, instance text not null, rss_bytes integer not null, cpu_percent real not null);
create index if not exists snapshots_time on snapshots (time);
`;

type Row = Record<string, SQLInputValue>;

/** Bring a store written by an older launcher to SCHEMA_VERSION, keeping its spans. */
function migrate(db: DatabaseSync): void {
  const version = Number((db.prepare('pragma user_version').get() as Row).user_version);
  if (version >= SCHEMA_VERSION) return;
  const old = db.prepare("select sql from sqlite_master where type = 'table' and name = 'spans'").get() as Row | undefined;
  db.exec('begin');
  try {
    if (old && /without rowid/i.test(String(old.sql))) {
      for (const index of SPAN_INDEXES) db.exec(`drop index if exists ${index}`);
      db.exec('alter table spans rename to spans_v0');
      db.exec(SPANS_TABLE);
      db.exec('insert into spans select * from spans_v0 order by start');
      db.exec('drop table spans_v0');
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
  db.exec('pragma journal_mode = wal; pragma synchronous = normal; pragma busy_timeout = 2000;');
  migrate(db);
  db.exec(SCHEMA);
  const limits: Retention = { maxAgeMs: retention.maxAgeMs ?? 24 * 3600_000, maxRows: retention.maxRows ?? 500_000 };

  const insertSpan = db.prepare(`insert or replace into spans values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const insertLog = db.prepare(`insert into logs (time, service, instance, level, msg, trace_id, span_id, line) values (?,?,?,?,?,?,?,?)`);
  const insertSnapshot = db.prepare(`insert into snapshots values (?,?,?,?)`);

  const toSpan = (r: Row): StoredSpan => ({
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
  });
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

  return {
    file,
    /** Store spans (one OTLP export's worth) in one transaction. */
    addSpans(spans: StoredSpan[]): void {
      if (spans.length === 0) return;
      db.exec('begin');
      try {
        for (const s of spans) {
          insertSpan.run(s.traceId, s.spanId, s.parentSpanId, s.service, s.instance, s.name, s.kind, s.start, s.end, s.durationMs, s.status, s.statusMessage, s.orderId, s.route, s.httpStatus, JSON.stringify(s.attributes));
        }
        db.exec('commit');
      } catch (error) {
        db.exec('rollback');
        throw error;
      }
    },
    addLogs(lines: Omit<StoredLog, 'id'>[]): void {
      if (lines.length === 0) return;
      db.exec('begin');
      try {
        for (const l of lines) insertLog.run(l.time, l.service, l.instance, l.level, l.msg, l.traceId, l.spanId, l.line);
        db.exec('commit');
      } catch (error) {
        db.exec('rollback');
        throw error;
      }
    },
    addSnapshots(snapshots: ProcessSnapshot[]): void {
      for (const s of snapshots) insertSnapshot.run(s.time, s.instance, s.rssBytes, s.cpuPercent);
    },
    /** Every span of one trace, oldest first. */
    trace(traceId: string): StoredSpan[] {
      return (db.prepare('select * from spans where trace_id = ? order by start').all(traceId) as Row[]).map(toSpan);
    },
    /** Traces matching a search, newest first. */
    searchTraces(q: { service?: string; route?: string; status?: 'error' | 'ok'; minMs?: number; orderId?: string; traceId?: string; limit?: number }): TraceSummary[] {
      const where: string[] = [];
      const args: SQLInputValue[] = [];
      if (q.traceId) {
        where.push('trace_id = ?');
        args.push(q.traceId.toLowerCase());
      }
      if (q.orderId) {
        where.push('trace_id in (select trace_id from spans where order_id = ?)');
        args.push(q.orderId);
      }
      if (q.service) {
        where.push('trace_id in (select trace_id from spans where service = ?)');
        args.push(q.service);
      }
      if (q.route) {
        where.push("trace_id in (select trace_id from spans where route like ? or name like ?)");
        args.push(`%${q.route}%`, `%${q.route}%`);
      }
      const having: string[] = [];
      if (q.status === 'error') having.push('sum(status = 2) > 0');
      if (q.status === 'ok') having.push('sum(status = 2) = 0');
      if (q.minMs !== undefined) having.push('max("end") - min(start) >= ?');
      const sql = `select trace_id, min(start) as start, max("end") - min(start) as duration, count(*) as n, sum(status = 2) as errors,
          group_concat(distinct service) as services, max(order_id) as order_id
        from spans ${where.length ? `where ${where.join(' and ')}` : ''}
        group by trace_id ${having.length ? `having ${having.join(' and ')}` : ''}
        order by start desc limit ?`;
      if (q.minMs !== undefined) args.push(q.minMs);
      args.push(q.limit ?? 50);
      const rows = db.prepare(sql).all(...args) as Row[];
      const rootOf = db.prepare('select name, service from spans where trace_id = ? order by (parent_span_id is null) desc, start limit 1');
      return rows.map((r) => {
        const root = rootOf.get(r.trace_id as string) as Row | undefined;
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
      return (db.prepare('select * from spans where trace_id in (select distinct trace_id from spans where order_id = ?) order by start').all(orderId) as Row[]).map(toSpan);
    },
    /** Spans that started after `since` (for the topology), at most `limit`. */
    spansSince(since: number, limit = 50_000): StoredSpan[] {
      return (db.prepare('select * from spans where start >= ? order by start desc limit ?').all(since, limit) as Row[]).map(toSpan);
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
        where.push('trace_id = ?');
        args.push(q.traceId.toLowerCase());
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
    /** Delete what is past the retention limits. */
    prune(now = Date.now()): void {
      const cutoff = now - limits.maxAgeMs;
      db.prepare('delete from spans where start < ?').run(cutoff);
      db.prepare('delete from logs where time < ?').run(cutoff);
      db.prepare('delete from snapshots where time < ?').run(cutoff);
      const spans = Number((db.prepare('select count(*) as n from spans').get() as Row).n);
      if (spans > limits.maxRows) db.prepare('delete from spans where start < (select start from spans order by start desc limit 1 offset ?)').run(limits.maxRows);
      db.prepare('delete from logs where id <= (select max(id) from logs) - ?').run(limits.maxRows);
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
