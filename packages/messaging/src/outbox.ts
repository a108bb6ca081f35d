import { randomUUID } from 'node:crypto';
import { PostgresAdapter, sql, type Generated, type Kysely, type Selectable, type Transaction } from 'kysely';
import { prepare, prepareCommand, type Migration, type Prepared, type PreparedCommand } from '@bazaar/store';
import { SpanKind, currentContext, formatTraceparent, startSpan } from '@bazaar/kit';
import type { AnyCloudEvent, NewEvent } from './types.ts';

/** The outbox table every producing service has in its own database. */
export interface OutboxTables {
  outbox: {
    seq: Generated<number>;
    id: string;
    type: string;
    source: string;
    subject: string | null;
    time: string;
    data: string;
    traceparent: string | null;
  };
}

/** Add to a producer's migrations (name it e.g. '0002_outbox'). Runs on SQLite and PostgreSQL. */
export const outboxMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('outbox')
      // A strictly increasing, never reused position: the feed's cursor. On
      // SQLite, AUTOINCREMENT at insert (one writer at a time, so commit order
      // is seq order); on PostgreSQL, assigned at commit (below).
      .addColumn('seq', postgres ? 'bigint' : 'integer', (c) => (postgres ? c.unique() : c.primaryKey().autoIncrement()))
      .addColumn('id', 'text', (c) => (postgres ? c.primaryKey() : c.notNull().unique()))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('time', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('traceparent', 'text')
      .execute();
    if (postgres) await sequenceAtCommit(db);
  },
};

/** Key of the transaction-level advisory lock that orders outbox commits ('outbox' in ASCII); advisory locks are per database. */
const OUTBOX_LOCK_KEY = 122_550_254_464_888;

/**
 * PostgreSQL: number outbox rows at commit, in commit order. A sequence
 * default would number rows at insert, and concurrent transactions commit
 * in any order: a feed reader could see seq 6 committed, move its cursor to
 * 6, and never read seq 5 committed a moment later. So rows are inserted
 * with a NULL seq, and a deferred constraint trigger, which runs as the
 * transaction commits, takes a transaction-level advisory lock and only then
 * draws the numbers. The lock is released after the commit is visible, so
 * whoever draws the next numbers commits after it: once a reader sees seq n,
 * every seq below n is visible or never will be (a rolled-back transaction
 * leaves a gap, never a late row). Taking the lock at commit rather than in
 * appendEvent keeps it out of deadlocks: its holder has all its row locks
 * already and waits for nothing else, whatever the transaction did before.
 */
async function sequenceAtCommit(db: Kysely<unknown>): Promise<void> {
  await sql`create sequence outbox_seq as bigint owned by outbox.seq`.execute(db);
  await sql`
    create function outbox_assign_seq() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(${sql.lit(OUTBOX_LOCK_KEY)});
      update outbox set seq = nextval('outbox_seq') where id = new.id;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger outbox_assign_seq after insert on outbox
    deferrable initially deferred for each row execute function outbox_assign_seq()`.execute(db);
}

type AnyDb<T> = Kysely<T> | Transaction<T>;

/**
 * Write an event in the caller's transaction, so it is published if and only
 * if the state change commits (the transactional outbox pattern).
 */
export async function appendEvent<DB extends OutboxTables>(trx: AnyDb<DB>, source: string, event: NewEvent): Promise<string> {
  const db = trx as unknown as Kysely<OutboxTables>;
  const id = randomUUID();
  const traceparent = currentContext() ? producerSpan(source, id, event) : null;
  await appendStatement(db)({ id, type: event.type, source, subject: event.subject ?? null, time: new Date().toISOString(), data: JSON.stringify(event.data), traceparent }, db);
  announceAppend();
  return id;
}

type AppendStatement = PreparedCommand<OutboxTables, 'id' | 'type' | 'source' | 'subject' | 'time' | 'data' | 'traceparent'>;

/**
 * The outbox insert, compiled once per database (prepare): a checkout appends half a dozen events. appendEvent is
 * given a transaction, a new object each time; its dialect adapter is its database's, so that is the key. The
 * statement is always run on the transaction it is given.
 */
const appendStatements = new WeakMap<object, AppendStatement>();

function appendStatement(db: Kysely<OutboxTables>): AppendStatement {
  const key = db.getExecutor().adapter;
  let statement = appendStatements.get(key);
  if (statement === undefined) {
    statement = prepareCommand(db, ['id', 'type', 'source', 'subject', 'time', 'data', 'traceparent'], (d, p) =>
      d.insertInto('outbox').values({ id: p.id, type: p.type, source: p.source, subject: p.subject, time: p.time, data: p.data, traceparent: p.traceparent }),
    );
    appendStatements.set(key, statement);
  }
  return statement;
}

const appendWaiters = new Set<() => void>();
let lastAppendAt = Number.NEGATIVE_INFINITY;

/** Wake everyone waiting in `nextAppend` (the transaction may not have committed yet: they look again until it has). */
function announceAppend(): void {
  lastAppendAt = performance.now();
  wakeAppendWaiters();
}

/**
 * For the feed's long poll: resolves at this process's next `appendEvent`, or when `timeout` does, whichever comes
 * first.
 */
export async function nextAppend(timeout: Promise<void>): Promise<void> {
  let wake = (): void => undefined;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  appendWaiters.add(wake);
  try {
    await Promise.race([woken, timeout]);
  } finally {
    appendWaiters.delete(wake);
  }
}

/** Milliseconds since this process last appended an event (Infinity if it never did). */
export const msSinceLastAppend = (): number => performance.now() - lastAppendAt;

/** Wake the long polls waiting in this process now (a feed shutting down answers them at once). */
export function wakeAppendWaiters(): void {
  for (const wake of appendWaiters) wake();
  appendWaiters.clear();
}

/**
 * A PRODUCER span for an event written in a traced context (OpenTelemetry's `create` operation: the
 * message's creation context); it ends at once (the relay or the feed delivers later) and the event's
 * traceparent names it, so consumers' spans are its children. The relay's publish to NATS is a CLIENT
 * `send` span under it (jetstream/streams.ts).
 */
function producerSpan(source: string, id: string, event: NewEvent): string {
  const span = startSpan(`publish ${event.type}`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.operation.type': 'create', 'messaging.destination.name': source, 'messaging.message.id': id, 'cloudevents.event_type': event.type, 'cloudevents.event_subject': event.subject ?? '' },
  });
  span.end();
  const sc = span.spanContext();
  return formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags);
}

type OutboxRead = Prepared<OutboxTables, 'after' | 'limit', Selectable<OutboxTables['outbox']>>;

/** The feed's reads, oldest or newest first, each compiled once per database when first run (prepare): every poll of
 * every waiting consumer runs one. */
const outboxReads = new WeakMap<object, { asc?: OutboxRead; desc?: OutboxRead }>();

function outboxRead(db: Kysely<OutboxTables>, order: 'asc' | 'desc'): OutboxRead {
  let reads = outboxReads.get(db);
  if (reads === undefined) outboxReads.set(db, (reads = {}));
  return (reads[order] ??= prepare(db, ['after', 'limit'], (d, p) => d.selectFrom('outbox').selectAll().where('seq', '>', p.after).orderBy('seq', order).limit(p.limit)));
}

/** Events after `after`, oldest first (or newest first), as CloudEvents. */
export async function readOutbox<DB extends OutboxTables>(db: Kysely<DB>, after: number, limit: number, newestFirst = false): Promise<AnyCloudEvent[]> {
  const rows = await outboxRead(db as unknown as Kysely<OutboxTables>, newestFirst ? 'desc' : 'asc')({ after, limit });
  return rows.map(rowToEvent);
}

/** An outbox row as the CloudEvent every transport delivers. */
export function rowToEvent(r: Omit<OutboxTables['outbox'], 'seq'> & { seq: number | string | bigint | null }): AnyCloudEvent {
  return {
    specversion: '1.0' as const,
    id: r.id,
    source: r.source,
    type: r.type,
    ...(r.subject === null ? {} : { subject: r.subject }),
    time: r.time,
    datacontenttype: 'application/json' as const,
    ...(r.traceparent === null ? {} : { traceparent: r.traceparent }),
    sequence: Number(r.seq),
    data: JSON.parse(r.data) as unknown,
  };
}

/** The newest position in the outbox (0 when empty). */
export async function outboxHead<DB extends OutboxTables>(db: Kysely<DB>): Promise<number> {
  const row = await (db as unknown as Kysely<OutboxTables>)
    .selectFrom('outbox')
    .select(sql<number | null>`max(seq)`.as('head'))
    .executeTakeFirst();
  return Number(row?.head ?? 0);
}
