import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { openStore, type Migration } from '../src/index.ts';
import { notesMigrations, type NotesDB } from './fixtures/notes.ts';

type DB = Pick<NotesDB, 'notes'>;

// The conformance suite's first two migrations: a table, then a column added to it.
const migrations: Record<string, Migration> = {
  '0001_notes': notesMigrations['0001_notes'] as Migration,
  '0002_pinned': notesMigrations['0002_pinned'] as Migration,
};

test('a file store is created under the data dir, migrated once, and keeps data across reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-store-'));
  try {
    const first = await openStore<DB>({ service: 'notes', dataDir: dir, migrations });
    assert.deepEqual(first.applied, ['0001_notes', '0002_pinned']);
    assert.equal(first.location, join(dir, 'notes.sqlite'));
    await first.db.insertInto('notes').values({ id: 'n1', body: 'hello', pinned: 1, created_at: new Date().toISOString() }).execute();
    await first.close();
    assert.ok(existsSync(join(dir, 'notes.sqlite')));

    const second = await openStore<DB>({ service: 'notes', dataDir: dir, migrations });
    assert.deepEqual(second.applied, [], 'migrations already applied are not re-run');
    const rows = await second.db.selectFrom('notes').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.body, 'hello');
    assert.equal(rows[0]?.pinned, 1);
    await second.ping();
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transactions roll back on error', async () => {
  const store = await openStore<DB>({ service: 'notes', dataDir: '', migrations, inMemory: true });
  await assert.rejects(
    store.db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 'n1', body: 'a', pinned: 0, created_at: 'x' }).execute();
      await trx.insertInto('notes').values({ id: 'n1', body: 'dup', pinned: 0, created_at: 'x' }).execute();
    }),
    /UNIQUE constraint failed/,
  );
  const count = await store.db.selectFrom('notes').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  assert.equal(count.n, 0);
  await store.close();
});

test('booleans and dates are stored as SQLite understands them', async () => {
  const store = await openStore<DB>({ service: 'notes', dataDir: '', migrations, inMemory: true });
  const when = new Date('2026-01-02T03:04:05.000Z');
  await sql`insert into notes (id, body, pinned, created_at) values (${'n2'}, ${'b'}, ${true}, ${when})`.execute(store.db);
  const row = await store.db.selectFrom('notes').selectAll().where('id', '=', 'n2').executeTakeFirstOrThrow();
  assert.equal(row.pinned, 1);
  assert.equal(row.created_at, '2026-01-02T03:04:05.000Z');
  await store.close();
});

test('a failing migration is reported by name', async () => {
  const broken: Record<string, Migration> = {
    ...migrations,
    '0003_broken': {
      async up(db: Kysely<unknown>) {
        await sql`create table notes (id text)`.execute(db);
      },
    },
  };
  await assert.rejects(openStore<DB>({ service: 'notes', dataDir: '', migrations: broken, inMemory: true }), /Migration "0003_broken" failed: .*already exists/);
});

test('a closed store fails its ping (readiness goes red)', async () => {
  const store = await openStore<DB>({ service: 'notes', dataDir: '', migrations, inMemory: true });
  await store.close();
  await assert.rejects(store.ping());
});
