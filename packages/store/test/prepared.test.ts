// Statements built and compiled once, run with new values: the same rows as building them each time, on both dialects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openStore, prepare, prepareCommand } from '../src/index.ts';
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
