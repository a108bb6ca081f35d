// PostgreSQL-only behaviour: where the database is, creating it at start-up, failing clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openStore, postgresTarget } from '../src/index.ts';
import { adminQuery, databaseOf, quoteIdent, withDatabase } from '../src/postgres.ts';
import { testDatabaseName, testLocation, testPostgresServer } from '../src/testing.ts';
import { notesMigrations, type NotesDB } from './fixtures/notes.ts';

test('the target: a per-service URL wins; else bazaar_<service> on the server; else none (SQLite)', () => {
  const serverUrl = 'postgres://app:s3cret@db.internal:6432/postgres?sslmode=require';
  assert.deepEqual(postgresTarget({ service: 'orders', serverUrl, poolSize: 7 }), {
    url: 'postgres://app:s3cret@db.internal:6432/bazaar_orders?sslmode=require',
    poolSize: 7,
  });
  assert.equal(postgresTarget({ service: 'orders', serverUrl: 'postgres://postgres@127.0.0.1:5432' })?.url, 'postgres://postgres@127.0.0.1:5432/bazaar_orders');
  assert.equal(postgresTarget({ service: 'orders', serverUrl, databaseUrl: 'postgres://o@h/orders_prod' })?.url, 'postgres://o@h/orders_prod');
  assert.equal(postgresTarget({ service: 'psp-sim', serverUrl })?.url.includes('/bazaar_psp_sim?'), true);
  assert.equal(postgresTarget({ service: 'orders' }), undefined);
  assert.equal(postgresTarget({ service: 'orders', serverUrl: '', databaseUrl: '' }), undefined);
});

test('a missing database is created at start-up, also when several instances start at once', async (t) => {
  const server = testPostgresServer();
  const name = testDatabaseName('created');
  t.after(() => adminQuery(server, `drop database if exists ${quoteIdent(name)} with (force)`));
  const target = { url: withDatabase(server, name), poolSize: 2 };
  const stores = await Promise.all(Array.from({ length: 3 }, () => openStore<NotesDB>({ service: 'created', dataDir: '', migrations: notesMigrations, postgres: target })));
  t.after(() => Promise.all(stores.map((s) => s.close())));
  assert.deepEqual(stores.flatMap((s) => s.applied).sort(), ['0001_notes', '0002_pinned', '0003_amounts']);
  const { rows } = await adminQuery(server, 'select datcollate from pg_database where datname = $1', [name]);
  assert.deepEqual(rows, [{ datcollate: 'C' }]);
  // Connections carry the service's name, so pg_stat_activity shows who is who.
  const apps = await sql<{ application_name: string }>`select distinct application_name from pg_stat_activity where datname = current_database()`.execute(stores[0]!.db);
  assert.deepEqual(apps.rows.map((r) => r.application_name), ['created']);
});

test('an unreachable server fails the start with a message naming it, password hidden', async () => {
  const target = { url: 'postgres://app:hunter2@127.0.0.1:1/bazaar_orders' };
  await assert.rejects(openStore<NotesDB>({ service: 'orders', dataDir: '', migrations: notesMigrations, postgres: target }), (error: Error) => {
    assert.match(error.message, /^Cannot reach PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/bazaar_orders: .*ECONNREFUSED/);
    assert.doesNotMatch(error.message, /hunter2/);
    return true;
  });
});

test('connections the server drops are replaced: the store answers again without a restart', async (t) => {
  const where = await testLocation('postgres', 'dropped', t);
  const store = await openStore<NotesDB>({ service: 'dropped', migrations: notesMigrations, ...where });
  t.after(() => store.close());
  await Promise.all([store.ping(), store.ping()]);
  // What a server restart or failover does to every open connection.
  await adminQuery(testPostgresServer(), 'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [databaseOf(where.postgres!.url)]);
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await store.ping();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
  await store.db.insertInto('notes').values({ id: 'n', body: 'b', pinned: 0, created_at: 'c' }).execute();
  assert.equal((await store.db.selectFrom('notes').select('id').execute()).length, 1);
});

test('a session stalled inside a transaction is ended by the server: its row locks go to the others instead of blocking them', async (t) => {
  const where = await testLocation('postgres', 'stalled', t);
  const target = { ...where.postgres!, idleInTransactionTimeoutMs: 300 };
  const store = await openStore<NotesDB>({ service: 'stalled', migrations: notesMigrations, dataDir: '', postgres: target });
  t.after(() => store.close());
  await store.db.insertInto('notes').values({ id: 'row', body: 'first', pinned: 0, created_at: 'c' }).execute();
  // A process that stalls (SIGSTOP) right after taking a row lock, and stays stalled until the other writer is through.
  let wake!: () => void;
  const stalledUntil = new Promise<void>((resolve) => (wake = resolve));
  let locked!: () => void;
  const holdsLock = new Promise<void>((resolve) => (locked = resolve));
  const stalled = store.db
    .transaction()
    .execute(async (trx) => {
      await trx.updateTable('notes').set({ body: 'stalled' }).where('id', '=', 'row').execute();
      locked();
      await stalledUntil;
      await trx.updateTable('notes').set({ pinned: 1 }).where('id', '=', 'row').execute();
    })
    .then(
      () => 'committed',
      () => 'ended by the server',
    );
  // The other writer starts once the stalled one holds the row lock: started together, on a busy machine the
  // other's single statement could take the lock first, and the stalled transaction then commit after it (seen once).
  try {
    await Promise.race([
      holdsLock,
      stalled.then((outcome) => Promise.reject(new Error(`the transaction ended (${outcome}) before it took the row lock`))),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the transaction did not take the row lock within 20 s')), 20_000).unref()),
    ]);
  } catch (error) {
    wake();
    throw error;
  }
  // Another instance writes the same row. Without the limit it waits for the stalled one for ever (here: until
  // the 20 s bound below fails the test); with it, the server ends the stalled session and the write goes through.
  const other = store.db.updateTable('notes').set({ body: 'other' }).where('id', '=', 'row').execute();
  const bound = new Promise((_, reject) => setTimeout(() => reject(new Error('the other writer still waits on the stalled transaction\'s row lock after 20 s')), 20_000).unref());
  try {
    await Promise.race([other, bound]);
  } finally {
    wake();
  }
  assert.equal(await stalled, 'ended by the server', 'the stalled transaction did not commit after the server ended it');
  assert.deepEqual(await store.db.selectFrom('notes').select(['body', 'pinned']).where('id', '=', 'row').executeTakeFirst(), { body: 'other', pinned: 0 });
});
