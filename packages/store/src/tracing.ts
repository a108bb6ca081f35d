import type { LogEvent } from 'kysely';
import { currentContext, recordSpan, type Attributes } from '@bazaar/kit';

/** Distinct statements remembered per database (a service runs a few dozen; dynamic SQL just starts over). */
const MAX_STATEMENTS = 512;

/** How a statement takes part in a transaction: opens one, ends one, or neither. */
type Role = 'begin' | 'end' | undefined;

interface Statement {
  name: string;
  attributes: Attributes;
  role: Role;
}

const roleOf = (operation: string): Role => (operation === 'BEGIN' || operation === 'START' ? 'begin' : operation === 'COMMIT' || operation === 'ROLLBACK' || operation === 'END' ? 'end' : undefined);

/**
 * Kysely's log hook, turned into one CLIENT span per query (recorded after
 * the fact from the reported duration, so the query path gains no awaits),
 * child of whatever request, event or saga step ran it. Only the statement's
 * first word is the span name; the SQL text (parameters never) is an attribute.
 *
 * A transaction is one span, `<system> transaction`, from its BEGIN to its
 * COMMIT or ROLLBACK (`db.operation.name` says which ended it), beside the
 * statements it ran: not a BEGIN and a COMMIT span of a few microseconds
 * each. Those were a sixth of a checkout's spans and said less (how long the
 * transaction held its connection is what matters; docs/observability.md).
 * The BEGIN's start is kept per request context, where Kysely runs both ends
 * of a transaction; a BEGIN that fails is a span of its own.
 *
 * A service runs the same few statements over and over: each one's span name
 * and attributes are worked out once and the same frozen object is given to
 * every span of it (recordSpan keeps it as is), so a query's span costs no
 * string work and no attribute copies.
 */
export function traceQueries(system: 'sqlite' | 'postgresql', namespace: string): (event: LogEvent) => void {
  const statements = new Map<string, Statement>();
  const describe = (sql: string): Statement => {
    let known = statements.get(sql);
    if (known) return known;
    const space = sql.indexOf(' ');
    const operation = (space < 0 ? sql : sql.slice(0, space)).toUpperCase();
    const role = roleOf(operation);
    known = {
      name: role === 'end' ? `${system} transaction` : `${system} ${operation}`,
      attributes: Object.freeze({ 'db.system.name': system, 'db.namespace': namespace, 'db.operation.name': operation, 'db.query.text': sql.length > 500 ? `${sql.slice(0, 500)}…` : sql }),
      role,
    };
    if (statements.size >= MAX_STATEMENTS) statements.clear();
    statements.set(sql, known);
    return known;
  };
  // Start times of the transactions open in each request context (a context may, rarely, hold two at once).
  const open = new WeakMap<object, number[]>();
  return (event) => {
    const endTime = Date.now();
    const startTime = endTime - event.queryDurationMillis;
    const { name, attributes, role } = describe(event.query.sql);
    const failed = event.level === 'error';
    if (role !== undefined) {
      const ctx = currentContext();
      if (ctx === undefined) return;
      if (role === 'begin' && !failed) {
        const starts = open.get(ctx);
        if (starts) starts.push(startTime);
        else open.set(ctx, [startTime]);
        return;
      }
      if (role === 'end') {
        const begun = open.get(ctx)?.shift() ?? startTime;
        recordSpan(name, { startTime: begun, endTime, attributes, ...(failed ? { error: event.error } : {}) });
        return;
      }
    }
    recordSpan(name, { startTime, endTime, attributes, ...(failed ? { error: event.error } : {}) });
  };
}
