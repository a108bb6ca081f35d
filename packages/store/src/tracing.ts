import type { LogEvent } from 'kysely';
import { recordSpan, type Attributes } from '@bazaar/kit';

/** Distinct statements remembered per database (a service runs a few dozen; dynamic SQL just starts over). */
const MAX_STATEMENTS = 512;

/**
 * Kysely's log hook, turned into one CLIENT span per query (recorded after
 * the fact from the reported duration, so the query path gains no awaits),
 * child of whatever request, event or saga step ran it. Only the statement's
 * first word is the span name; the SQL text (parameters never) is an attribute.
 *
 * A service runs the same few statements over and over: each one's span name
 * and attributes are worked out once and the same frozen object is given to
 * every span of it (recordSpan keeps it as is), so a query's span costs no
 * string work and no attribute copies.
 */
export function traceQueries(system: 'sqlite' | 'postgresql', namespace: string): (event: LogEvent) => void {
  const statements = new Map<string, { name: string; attributes: Attributes }>();
  const describe = (sql: string) => {
    let known = statements.get(sql);
    if (known) return known;
    const space = sql.indexOf(' ');
    const operation = (space < 0 ? sql : sql.slice(0, space)).toUpperCase();
    known = {
      name: `${system} ${operation}`,
      attributes: Object.freeze({ 'db.system.name': system, 'db.namespace': namespace, 'db.operation.name': operation, 'db.query.text': sql.length > 500 ? `${sql.slice(0, 500)}…` : sql }),
    };
    if (statements.size >= MAX_STATEMENTS) statements.clear();
    statements.set(sql, known);
    return known;
  };
  return (event) => {
    const endTime = Date.now();
    const { name, attributes } = describe(event.query.sql);
    recordSpan(name, {
      startTime: endTime - event.queryDurationMillis,
      endTime,
      attributes,
      ...(event.level === 'error' ? { error: event.error } : {}),
    });
  };
}
