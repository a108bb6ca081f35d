// Statements built and compiled once, run with new values: the same rows as building them each time, on both dialects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import { inSpan } from '@bazaar/kit';
import { captureSpans } from '@bazaar/kit/testing';
import { isUniqueViolation, openStore, prepare, prepareCommand } from '../src/index.ts';
import { DIALECTS, testLocation } from '../src/testing.ts';
import { notesMigrations, type NotesDB } from './fixtures/notes.ts';

/** node:sqlite's rows have no prototype; pg's do: compare plain copies. */
const plain = (rows: readonly unknown[]) => rows.map((r) => ({ ...(r as object) }));

for (const dialect of DIALECTS) {
  test(`${dialect}: a prepared statement runs with each call's values, constants kept, in a transaction too`, async (t) => {
    const store = await openStore<NotesDB>({ service: 'notes', migrations: notesMigrations, ...(await testLocation(dialect, 'prepared', t)) });
    t.after(() => store.close());
    const at = '2026-12-07T00:00:00.000Z';
    await store.db.insertInto('notes').values([
      { id: 'a', body: 'first', pinned: 1, created_at: at },
      { id: 'b', body: 'second', pinned: 0, created_at: at },
      { id: 'c', body: 'third', pinned: 1, created_at: at },
    ]).execute();

    const byId = prepare(store.db, ['id'], (db, p) => db.selectFrom('notes').selectAll().where('id', '=', p.id));
    assert.deepEqual(plain(await byId({ id: 'b' })), [{ id: 'b', body: 'second', pinned: 0, created_at: at }]);
    assert.deepEqual(plain(await byId({ id: 'a' })), [{ id: 'a', body: 'first', pinned: 1, created_at: at }], 'a second call binds its own value');
    assert.deepEqual(await byId({ id: 'nobody' }), []);

    // Two names, one used twice, a constant between them, and a limit.
    const page = prepare(store.db, ['after', 'limit'], (db, p) =>
      db.selectFrom('notes').select(['id']).where('pinned', '=', 1).where((eb) => eb.or([eb('id', '>', p.after), eb('id', '=', p.after)])).orderBy('id').limit(p.limit));
    assert.deepEqual(plain(await page({ after: 'a', limit: 10 })), [{ id: 'a' }, { id: 'c' }], 'the constant (pinned = 1) stays bound');
    assert.deepEqual(plain(await page({ after: 'b', limit: 10 })), [{ id: 'c' }]);
    assert.deepEqual(plain(await page({ after: '', limit: 1 })), [{ id: 'a' }]);

    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 'd', body: 'not yet committed', pinned: 0, created_at: at }).execute();
      assert.deepEqual(plain(await byId({ id: 'd' }, trx)), [{ id: 'd', body: 'not yet committed', pinned: 0, created_at: at }], 'run on the transaction, it sees the transaction\'s rows');
    });

    // Writes too: the inserted values are parameters like any other.
    const insert = prepare(store.db, ['id', 'body'], (db, p) => db.insertInto('notes').values({ id: p.id, body: p.body, pinned: 0, created_at: at }));
    await insert({ id: 'e', body: 'prepared insert' });
    assert.deepEqual(plain(await byId({ id: 'e' })), [{ id: 'e', body: 'prepared insert', pinned: 0, created_at: at }]);

    // A write's outcome is how many rows it changed: a fenced update that matches nothing is 0n, as numUpdatedRows is.
    const pin = prepareCommand(store.db, ['id', 'from'], (db, p) => db.updateTable('notes').set({ pinned: 1 }).where('id', '=', p.id).where('pinned', '=', p.from));
    assert.equal(await pin({ id: 'e', from: 0 }), 1n);
    assert.equal(await pin({ id: 'e', from: 0 }), 0n, 'already pinned: the fence matched nothing');
    assert.equal(await pin({ id: 'nobody', from: 0 }), 0n);
    const remove = prepareCommand(store.db, ['pinned'], (db, p) => db.deleteFrom('notes').where('pinned', '=', p.pinned));
    await store.db.transaction().execute(async (trx) => {
      assert.equal(await remove({ pinned: 1 }, trx), 3n, 'a, c and e, in the transaction');
    });
    assert.deepEqual(plain(await store.db.selectFrom('notes').select('id').orderBy('id').execute()), [{ id: 'b' }, { id: 'd' }]);
  });
}

test('a parameter that does not become a bound value is refused when the statement is prepared', async (t) => {
  const store = await openStore<NotesDB>({ service: 'notes', migrations: notesMigrations, ...(await testLocation('sqlite', 'prepared', t)) });
  t.after(() => store.close());
  assert.throws(
    () => prepare(store.db, ['column'], (db, p) => db.selectFrom('notes').selectAll().where(sql.ref(p.column), '=', 'x')),
    /written into the SQL text instead of bound/,
    'as an identifier',
  );
  assert.throws(
    () => prepare(store.db, ['text'], (db, p) => db.selectFrom('notes').selectAll().where(sql<boolean>`${sql.raw(p.text)}`)),
    /written into the SQL text instead of bound/,
    'as raw SQL',
  );
  assert.throws(
    () => prepare(store.db, ['id', 'unused'], (db, p) => db.selectFrom('notes').selectAll().where('id', '=', p.id)),
    /the parameter "unused" is not a value of the statement/,
  );
});

// SQLite: a prepared statement on the store's root database runs on the connection at once when no transaction holds
// it (direct.ts), instead of through Kysely's mutex and awaits; one issued while another flow's transaction is open
// waits for it as before, and never becomes part of it.
test('sqlite: a prepared statement runs at once on an idle connection, before the call even returns', async (t) => {
  const location = await testLocation('sqlite', 'prepared', t, { file: true });
  const store = await openStore<NotesDB>({ service: 'notes', migrations: notesMigrations, ...location });
  t.after(() => store.close());
  const at = '2026-12-07T00:00:00.000Z';
  const insert = prepareCommand(store.db, ['id'], (db, p) => db.insertInto('notes').values({ id: p.id, body: 'direct', pinned: 0, created_at: at }));
  const count = prepare(store.db, [], (db) => db.selectFrom('notes').select((eb) => eb.fn.countAll<number>().as('n')));
  const done = insert({ id: 'now' });
  // Another connection to the same file, read before anything is awaited: the row is committed already.
  const other = new DatabaseSync(store.location, { readOnly: true });
  t.after(() => other.close());
  assert.deepEqual({ ...(other.prepare('select count(*) as n from notes').get() as object) }, { n: 1 }, 'the insert ran within the call');
  assert.equal(await done, 1n);
  assert.deepEqual(plain(await count({})), [{ n: 1 }]);
});

test('sqlite: a prepared statement issued while another flow holds a transaction waits for it and is never part of it', async (t) => {
  const store = await openStore<NotesDB>({ service: 'notes', migrations: notesMigrations, ...(await testLocation('sqlite', 'prepared', t)) });
  t.after(() => store.close());
  const at = '2026-12-07T00:00:00.000Z';
  const insert = prepareCommand(store.db, ['id'], (db, p) => db.insertInto('notes').values({ id: p.id, body: 'outside', pinned: 0, created_at: at }));
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // A transaction that writes, waits, and rolls back.
  const rolledBack = store.db.transaction().execute(async (trx) => {
    await trx.insertInto('notes').values({ id: 'inside', body: 'rolled back', pinned: 0, created_at: at }).execute();
    opened();
    await gate;
    throw new Error('roll back');
  });
  await open;
  // Issued while the transaction is open on the one connection: run at once, it would be rolled back with it.
  const outside = insert({ id: 'outside' });
  release();
  await assert.rejects(rolledBack, /roll back/);
  assert.equal(await outside, 1n);
  assert.deepEqual(plain(await store.db.selectFrom('notes').select('id').orderBy('id').execute()), [{ id: 'outside' }], 'the rolled-back row is gone; the statement issued during the transaction stayed');
});

test('sqlite: a prepared statement run at once fails as it would through Kysely, and its query is logged either way', async (t) => {
  const store = await openStore<NotesDB>({ service: 'notes', migrations: notesMigrations, ...(await testLocation('sqlite', 'prepared', t)) });
  t.after(() => store.close());
  const at = '2026-12-07T00:00:00.000Z';
  const insert = prepareCommand(store.db, ['id'], (db, p) => db.insertInto('notes').values({ id: p.id, body: 'x', pinned: 0, created_at: at }));
  assert.equal(await insert({ id: 'same' }), 1n);
  const failure = await insert({ id: 'same' }).then(() => undefined, (error: unknown) => error);
  assert.ok(isUniqueViolation(failure), `a duplicate key is a unique violation, as through Kysely: ${String(failure)}`);
  const viaKysely = await store.db.insertInto('notes').values({ id: 'same', body: 'x', pinned: 0, created_at: at }).execute().then(() => undefined, (error: unknown) => error);
  assert.equal((failure as { code?: string }).code, (viaKysely as { code?: string }).code);
  assert.equal((failure as { errcode?: number }).errcode, (viaKysely as { errcode?: number }).errcode);

  // The store's query log (tracing) sees a statement run at once as it sees one run by Kysely: a span under the caller's.
  const capture = captureSpans();
  const byId = prepare(store.db, ['id'], (db, p) => db.selectFrom('notes').select('id').where('id', '=', p.id));
  await inSpan('GET /notes/:id', {}, async () => {
    await byId({ id: 'same' });
    await insert({ id: 'same' }).catch(() => undefined);
  });
  const spans = capture.spans();
  const parent = spans.find((s) => s.name === 'GET /notes/:id');
  const queries = spans.filter((s) => s.name.startsWith('sqlite '));
  assert.deepEqual(queries.map((s) => [s.name, s.parentSpanId, s.status]), [['sqlite SELECT', parent?.spanId, 0], ['sqlite INSERT', parent?.spanId, 2]], 'a span each, the failed one an error');
});
