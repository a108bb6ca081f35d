// The store conformance suite: the same cases on SQLite and PostgreSQL.
// PostgreSQL must be running (see src/testing.ts); each case gets a fresh database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { dialectOf, openStore, type Migration, type Store, type StoreLocation } from '../src/index.ts';
import { DIALECTS, testLocation } from '../src/testing.ts';
import { notesMigrations, type NotesDB } from './fixtures/notes.ts';

type DB = NotesDB;
const migrations = notesMigrations;
const run = promisify(execFile);
const migrateProcess = fileURLToPath(new URL('./fixtures/migrate-process.ts', import.meta.url));

const open = (where: StoreLocation, extra: Record<string, Migration> = {}) => openStore<DB>({ service: 'notes', migrations: { ...migrations, ...extra }, ...where });

async function count(db: Kysely<DB>): Promise<unknown> {
  return (await db.selectFrom('notes').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n;
}

for (const dialect of DIALECTS) {
  const named = (title: string) => `${dialect}: ${title}`;

  test(named('migrations apply once; a second open applies nothing and keeps the data'), async (t) => {
    const where = await testLocation(dialect, 'notes', t, { file: true });
    const first = await open(where);
    assert.equal(first.dialect, dialect);
    assert.equal(dialectOf(first.db), dialect);
    assert.deepEqual(first.applied, ['0001_notes', '0002_pinned', '0003_amounts']);
    await first.db.insertInto('notes').values({ id: 'n1', body: 'hello', pinned: 1, created_at: '2026-01-01T00:00:00.000Z' }).execute();
    await first.close();
    const second = await open(where);
    assert.deepEqual(second.applied, [], 'applied migrations are not re-run');
    assert.deepEqual((await second.db.selectFrom('notes').selectAll().execute()).map((r) => ({ ...r })), [{ id: 'n1', body: 'hello', pinned: 1, created_at: '2026-01-01T00:00:00.000Z' }]);
    await second.close();
  });

  test(named('instances starting at once migrate safely: every migration runs exactly once'), async (t) => {
    const where = await testLocation(dialect, 'notes', t, { file: true });
    // Separate processes, as instances are (node:sqlite waits for a lock synchronously, so one process cannot race itself).
    const at = String(Date.now() + 1500);
    const outputs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, [migrateProcess, JSON.stringify(where), at])));
    const perInstance = outputs.map((o) => JSON.parse(o.stdout) as string[]);
    assert.deepEqual(perInstance.flat().sort(), ['0001_notes', '0002_pinned', '0003_amounts'], `applied per instance: ${JSON.stringify(perInstance)}`);
    const store = await open(where);
    t.after(() => store.close());
    assert.deepEqual(store.applied, []);
    await store.db.insertInto('notes').values({ id: 'x', body: 'b', pinned: 0, created_at: 'c' }).execute();
    assert.equal(Number(await count(store.db)), 1);
  });

  test(named('create, read, update, delete'), async (t) => {
    const store = await open(await testLocation(dialect, 'notes', t));
    t.after(() => store.close());
    await store.db.insertInto('notes').values([
      { id: 'b', body: 'second', pinned: 0, created_at: '2026-01-02T00:00:00.000Z' },
      { id: 'a', body: 'first', pinned: 1, created_at: '2026-01-01T00:00:00.000Z' },
      { id: 'B', body: 'upper', pinned: 0, created_at: '2026-01-03T00:00:00.000Z' },
    ]).execute();
    // Byte order on both (PostgreSQL databases are created with the C collation).
    assert.deepEqual((await store.db.selectFrom('notes').select('id').orderBy('id').execute()).map((r) => r.id), ['B', 'a', 'b']);
    const updated = await store.db.updateTable('notes').set({ body: 'changed' }).where('pinned', '=', 0).executeTakeFirst();
    assert.equal(updated.numUpdatedRows, 2n);
    const back = await store.db.updateTable('notes').set({ pinned: 1 }).where('id', '=', 'b').returning(['id', 'pinned']).executeTakeFirst();
    assert.deepEqual({ ...back }, { id: 'b', pinned: 1 });
    const clash = await store.db.insertInto('notes').values({ id: 'a', body: 'dup', pinned: 0, created_at: 'x' }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
    assert.equal(clash, undefined, 'ON CONFLICT DO NOTHING inserts nothing and returns no row');
    const deleted = await store.db.deleteFrom('notes').where('id', 'in', ['a', 'B']).executeTakeFirst();
    assert.equal(deleted.numDeletedRows, 2n);
    assert.deepEqual((await store.db.selectFrom('notes').select(['id', 'body', 'pinned']).execute()).map((r) => ({ ...r })), [{ id: 'b', body: 'changed', pinned: 1 }]);
  });

  test(named('a failing transaction rolls back all of its writes'), async (t) => {
    const store = await open(await testLocation(dialect, 'notes', t));
    t.after(() => store.close());
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ id: 'n1', body: 'a', pinned: 0, created_at: 'x' }).execute();
        await trx.insertInto('notes').values({ id: 'n1', body: 'dup', pinned: 0, created_at: 'x' }).execute();
      }),
      /UNIQUE constraint failed|duplicate key value violates unique constraint/,
    );
    assert.equal(Number(await count(store.db)), 0);
    // The connection is usable again after the rollback.
    await store.db.insertInto('notes').values({ id: 'n2', body: 'b', pinned: 0, created_at: 'x' }).execute();
    assert.equal(Number(await count(store.db)), 1);
  });

  test(named('integers, big integers, counts and sums come back as JS numbers'), async (t) => {
    const store = await open(await testLocation(dialect, 'notes', t));
    t.after(() => store.close());
    const big = 100_000_000_000;
    await store.db.insertInto('amounts').values([{ id: 'a', amount: big }, { id: 'b', amount: 7 }]).execute();
    await store.db.insertInto('notes').values({ id: 'n', body: 'b', pinned: 3, created_at: 'x' }).execute();
    const row = await store.db.selectFrom('amounts').select('amount').where('id', '=', 'a').executeTakeFirstOrThrow();
    assert.equal(row.amount, big);
    const agg = await store.db
      .selectFrom('amounts')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('amount').as('total'), eb.fn.max<number>('amount').as('top')])
      .executeTakeFirstOrThrow();
    assert.deepEqual({ ...agg }, { n: 2, total: big + 7, top: big });
    assert.equal(await count(store.db), 1);
    assert.equal((await store.db.selectFrom('notes').select('pinned').executeTakeFirstOrThrow()).pinned, 3);
  });

  test(named('a failing migration is reported by name and leaves the store closed'), async (t) => {
    const where = await testLocation(dialect, 'notes', t);
    const broken: Record<string, Migration> = {
      '0004_broken': {
        async up(db: Kysely<unknown>) {
          await sql`create table notes (id text)`.execute(db);
        },
      },
    };
    await assert.rejects(open(where, broken), /Migration "0004_broken" failed: .*already exists/);
  });

  test(named('a closed store fails its ping (readiness goes red)'), async (t) => {
    const store: Store<DB> = await open(await testLocation(dialect, 'notes', t));
    await store.ping();
    await store.close();
    await assert.rejects(store.ping());
  });
}

test('BIGINT past the safe integer range is an error on PostgreSQL, never a rounded number', async (t) => {
  const store = await open(await testLocation('postgres', 'notes', t));
  t.after(() => store.close());
  await assert.rejects(sql`select 9007199254740993::bigint as n`.execute(store.db), /outside the safe integer range/);
  const { rows } = await sql<{ n: unknown; f: unknown }>`select 12.5::numeric as f, 9007199254740991::bigint as n`.execute(store.db);
  assert.deepEqual(rows, [{ f: '12.5', n: 9007199254740991 }], 'a fractional NUMERIC stays an exact string');
});
