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

test('traceQueries: a transaction is one span from its BEGIN to its COMMIT or ROLLBACK, beside its statements; a failed BEGIN is a span', async () => {
  const capture = captureSpans();
  const hook = traceQueries('sqlite', 'cart');
  const at = Date.now();
  await inSpan('PUT /api/cart/items/:productId', {}, async () => {
    hook(query('begin', 0.01));
    // The update starts after the BEGIN ended (its reported duration reaches back from when it ends).
    await new Promise((r) => setTimeout(r, 5));
    hook(query('update "carts" set "version" = ?', 0.2));
    hook(query('commit', 0.05));
    hook(query('begin', 0.01));
    hook(query('rollback', 0.02));
    hook(query('begin immediate', 0.01, new Error('SQLITE_BUSY')));
  });
  const spans = capture.spans().filter((s) => s.name.startsWith('sqlite '));
  assert.deepEqual(spans.map((s) => [s.name, s.attributes['db.operation.name']]), [
    ['sqlite UPDATE', 'UPDATE'],
    ['sqlite transaction', 'COMMIT'],
    ['sqlite transaction', 'ROLLBACK'],
    ['sqlite BEGIN', 'BEGIN'],
  ]);
  const [update, committed] = spans;
  assert.ok(update && committed);
  assert.ok(committed.start <= update.start && committed.end >= update.end, 'the transaction span covers the statement it ran');
  assert.ok(committed.start >= at - 5, 'it starts at the BEGIN');
  assert.equal(spans[3]?.status, 2, 'the failed BEGIN is an error span');
  assert.equal(spans.filter((s) => s.status === 2).length, 1);
});

test('traceQueries: two requests with transactions open at once each get their own BEGIN time', async () => {
  const capture = captureSpans();
  const hook = traceQueries('postgresql', 'orders');
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const slow = inSpan('slow', {}, async () => {
    hook(query('begin', 0));
    await held;
    hook(query('commit', 0));
  });
  await new Promise((r) => setTimeout(r, 30));
  await inSpan('quick', {}, async () => {
    hook(query('begin', 0));
    hook(query('commit', 0));
  });
  release();
  await slow;
  const spans = capture.spans();
  const txOf = (parent: string) => {
    const p = spans.find((s) => s.name === parent);
    return spans.find((s) => s.name === 'postgresql transaction' && s.parentSpanId === p?.spanId);
  };
  const slowTx = txOf('slow');
  const quickTx = txOf('quick');
  assert.ok(slowTx && quickTx, 'one transaction span under each request');
  assert.ok(slowTx.end - slowTx.start >= 25, `the slow request's transaction lasted its wait (${slowTx.end - slowTx.start} ms)`);
  assert.ok(quickTx.end - quickTx.start < slowTx.end - slowTx.start, "the quick one's did not start at the slow one's BEGIN");
});
