// Issue 12, defect 1: a PostgreSQL restart crashed the services ("uncaught exception:
// exiting" from "terminating connection due to administrator command"). Runs a
// PRIVATE server (own port and data dir), restarted while queries and
// transactions hold connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { isStoreUnavailable, openStore } from '../src/index.ts';
import { startPrivatePostgres } from '../src/private-server.ts';
import { withDatabase } from '../src/postgres.ts';
import { notesMigrations, type NotesDB } from './fixtures/notes.ts';

test('a PostgreSQL restart under load: no uncaught error, failures say "unavailable", the store comes back by itself', { timeout: 120_000 }, async (t) => {
  const server = await startPrivatePostgres({ name: 'restart' });
  t.after(() => server.destroy());
  const store = await openStore<NotesDB>({ service: 'restart', dataDir: '', migrations: notesMigrations, postgres: { url: withDatabase(server.url, 'bazaar_restart'), poolSize: 4 } });
  t.after(() => store.close());

  // Anything emitted without a listener crashes a real service; here it would only be logged, so count it.
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));

  let stop = false;
  let ok = 0;
  const failures: unknown[] = [];
  const worker = async (n: number) => {
    for (let i = 0; !stop; i++) {
      try {
        // A transaction holds a checked-out client across several round trips: the window the crash came from.
        await store.db.transaction().execute(async (trx) => {
          await sql`select pg_sleep(0.02)`.execute(trx);
          await trx.insertInto('notes').values({ id: `w${n}-${i}`, body: 'b', pinned: 0, created_at: 'c' }).execute();
        });
        ok++;
      } catch (error) {
        failures.push(error);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const workers = Array.from({ length: 6 }, (_, n) => worker(n));
  const waitFor = async (what: string, cond: () => boolean) => {
    const deadline = Date.now() + 30_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitFor('queries before the restart', () => ok > 20);
  await server.restart();
  const afterRestart = ok;
  await waitFor('queries after the restart', () => ok > afterRestart + 20);
  stop = true;
  await Promise.all(workers);

  assert.deepEqual(uncaught, [], 'no error may go unhandled while the server restarts');
  assert.ok(failures.length > 0, 'the restart happened under load (some queries failed)');
  const unexplained = failures.filter((e) => !isStoreUnavailable(e));
  assert.deepEqual(unexplained.map(String), [], 'every failure during the restart is classified as the database being unavailable');
  await store.ping();
});

test('isStoreUnavailable: connection trouble yes, query mistakes no', () => {
  assert.equal(isStoreUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })), true);
  assert.equal(isStoreUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' })), true);
  assert.equal(isStoreUnavailable(new Error('Connection terminated unexpectedly')), true);
  assert.equal(isStoreUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), true);
  assert.equal(isStoreUnavailable(new AggregateError([Object.assign(new Error(''), { code: 'ECONNREFUSED' })], '')), true);
  assert.equal(isStoreUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' })), false);
  assert.equal(isStoreUnavailable(Object.assign(new Error('syntax error'), { code: '42601' })), false);
  assert.equal(isStoreUnavailable('nope'), false);
});
