import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogEvent } from 'kysely';
import { inSpan } from '@bazaar/kit';
import { captureSpans } from '@bazaar/kit/testing';
import { traceQueries } from '../src/tracing.ts';

const query = (sql: string, durationMs = 2, error?: unknown): LogEvent =>
  (error === undefined
    ? { level: 'query', query: { sql, parameters: ['secret-param'], query: { kind: 'RawNode' } }, queryDurationMillis: durationMs }
    : { level: 'error', query: { sql, parameters: ['secret-param'], query: { kind: 'RawNode' } }, queryDurationMillis: durationMs, error }) as unknown as LogEvent;

test('traceQueries: one CLIENT span per query under the current span, named after the statement, SQL text without parameters', async () => {
  const capture = captureSpans();
  const hook = traceQueries('sqlite', 'orders');
  const select = 'select "id" from "orders" where "id" = ?';
  await inSpan('POST /api/checkout', {}, async () => {
    hook(query(select));
    hook(query('insert into "outbox" ("id") values (?)'));
    hook(query(select, 3));
    hook(query('update "orders" set "status" = ?', 1, new Error('SQLITE_BUSY')));
  });
  const spans = capture.spans();
  const parent = spans.find((s) => s.name === 'POST /api/checkout');
  const queries = spans.filter((s) => s.name.startsWith('sqlite '));
  assert.ok(parent);
  assert.deepEqual(queries.map((s) => s.name), ['sqlite SELECT', 'sqlite INSERT', 'sqlite SELECT', 'sqlite UPDATE']);
  for (const s of queries) {
    assert.equal(s.parentSpanId, parent.spanId, `${s.name} is a child of the request`);
    assert.equal(s.traceId, parent.traceId);
    assert.equal(s.kind, 2, 'CLIENT');
    assert.ok(!JSON.stringify(s.attributes).includes('secret-param'), 'parameters never recorded');
  }
  assert.deepEqual(queries[0]?.attributes, { 'db.system.name': 'sqlite', 'db.namespace': 'orders', 'db.operation.name': 'SELECT', 'db.query.text': select });
  assert.deepEqual(queries[2]?.attributes, queries[0]?.attributes, 'the same statement, described the same way the second time');
  assert.equal(queries[3]?.status, 2, 'a failed query is an error span');
  assert.equal(new Set(queries.map((s) => s.spanId)).size, 4, 'distinct span ids');
});

test('traceQueries: long statements are cut at 500 characters; queries outside any span record nothing', async () => {
  const capture = captureSpans();
  const hook = traceQueries('postgresql', 'catalog');
  hook(query('select 1'));
  const long = `select ${'"c", '.repeat(200)}1`;
  await inSpan('job', {}, async () => hook(query(long)));
  const spans = capture.spans().filter((s) => s.name.startsWith('postgresql'));
  assert.equal(spans.length, 1, 'only the query inside the span');
  assert.equal(spans[0]?.attributes['db.query.text'], `${long.slice(0, 500)}…`);
});
