import type { LogEvent } from 'kysely';
import { recordSpan } from '@bazaar/kit';

/**
 * Kysely's log hook, turned into one CLIENT span per query (recorded after
 * the fact from the reported duration, so the query path gains no awaits),
 * child of whatever request, event or saga step ran it. Only the statement's
 * first word is the span name; the SQL text (parameters never) is an attribute.
 */
export function traceQueries(system: 'sqlite' | 'postgresql', namespace: string): (event: LogEvent) => void {
  return (event) => {
    const endTime = Date.now();
    const sql = event.query.sql;
    const space = sql.indexOf(' ');
    const operation = (space < 0 ? sql : sql.slice(0, space)).toUpperCase();
    recordSpan(`${system} ${operation}`, {
      startTime: endTime - event.queryDurationMillis,
      endTime,
      attributes: { 'db.system.name': system, 'db.namespace': namespace, 'db.operation.name': operation, 'db.query.text': sql.length > 500 ? `${sql.slice(0, 500)}…` : sql },
      ...(event.level === 'error' ? { error: event.error } : {}),
    });
  };
}
