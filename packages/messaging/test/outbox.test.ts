// The outbox and its feed on both dialects: events read back in commit order,
// and on PostgreSQL a feed reader never skips an event committed late.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely, Transaction } from 'kysely';
import { appendEvent, inboxMigration, outboxHead, outboxMigration, readOutbox, cursorStore, type InboxTables, type OutboxTables } from '../src/index.ts';
import { openStore, sql, type StoreDialect } from '@bazaar/store';
import { DIALECTS, testLocation, type AfterHook } from '@bazaar/store/testing';

type Tables = OutboxTables & InboxTables;

async function outboxStore(dialect: StoreDialect, t: AfterHook, poolSize?: number) {
  const where = await testLocation(dialect, 'producer', t);
  const postgres = where.postgres && poolSize ? { ...where.postgres, poolSize } : where.postgres;
  const store = await openStore<Tables>({ service: 'producer', migrations: { '0001_outbox': outboxMigration, '0002_inbox': inboxMigration }, ...where, postgres });
  t.after(() => store.close());
  return store;
}

const event = (n: number) => ({ type: 'test.counted', subject: `n${n}`, data: { n } });

/** Read the whole feed the way the embedded transport does: pages after a cursor. */
async function drain(db: Kysely<Tables>, after: number, pageSize = 7): Promise<{ ns: number[]; cursor: number }> {
  const ns: number[] = [];
  let cursor = after;
  for (;;) {
    const page = await readOutbox(db, cursor, pageSize);
    if (page.length === 0) return { ns, cursor };
    for (const e of page) {
      assert.equal(typeof e.sequence, 'number');
      assert.ok((e.sequence as number) > cursor, `sequence ${e.sequence} after cursor ${cursor}`);
      cursor = e.sequence as number;
      ns.push((e.data as { n: number }).n);
    }
  }
}

for (const dialect of DIALECTS) {
  test(`${dialect}: events come back in append order with increasing numeric sequences; a rolled-back append leaves nothing`, async (t) => {
    const store = await outboxStore(dialect, t);
    assert.equal(await outboxHead(store.db), 0);
    await store.db.transaction().execute(async (trx) => {
      for (const n of [1, 2, 3]) await appendEvent(trx, 'producer', event(n));
    });
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await appendEvent(trx, 'producer', event(99));
        throw new Error('the state change failed');
      }),
    );
    await appendEvent(store.db, 'producer', event(4));
    const { ns, cursor } = await drain(store.db, 0, 2);
    assert.deepEqual(ns, [1, 2, 3, 4]);
    assert.equal(await outboxHead(store.db), cursor);
    const [first] = await readOutbox(store.db, 0, 1);
    assert.equal(first?.source, 'producer');
    assert.equal(first?.subject, 'n1');
    assert.deepEqual(first?.data, { n: 1 });
    // A consumer's cursor holds an outbox position (BIGINT on PostgreSQL) and reads back as a number.
    const cursors = cursorStore(store.db);
    await cursors.save('producer/c', cursor);
    assert.equal(await cursors.load('producer/c'), cursor);
  });
}

test('postgres: an event committed after a later-appended one is still read, after it (no skipped rows)', async (t) => {
  const store = await outboxStore('postgres', t, 4);
  // Transaction A appends first but commits last; B appends second and commits first.
  let releaseA!: () => void;
  const aMayCommit = new Promise<void>((resolve) => (releaseA = resolve));
  let aAppended!: () => void;
  const aHasAppended = new Promise<void>((resolve) => (aAppended = resolve));
  const a = store.db.transaction().execute(async (trx) => {
    await appendEvent(trx, 'producer', event(1));
    aAppended();
    await aMayCommit;
  });
  await aHasAppended;
  await store.db.transaction().execute(async (trx) => appendEvent(trx, 'producer', event(2)));
  const early = await drain(store.db, 0);
  assert.deepEqual(early.ns, [2], 'B is visible; A is not committed yet');
  releaseA();
  await a;
  const late = await drain(store.db, early.cursor);
  assert.deepEqual(late.ns, [1], 'a reader past B still gets A: A was numbered when it committed');
});

test('postgres: under concurrent producers a polling feed reader sees every committed event exactly once', async (t) => {
  const store = await outboxStore('postgres', t, 6);
  const writers = 4;
  const perWriter = 15;
  const committed = new Set<number>();
  let writing = true;
  const seen: number[] = [];
  const reader = (async () => {
    let cursor = 0;
    while (writing) {
      const page = await drain(store.db, cursor, 5);
      seen.push(...page.ns);
      cursor = page.cursor;
    }
    seen.push(...(await drain(store.db, cursor)).ns);
  })();
  const write = async (w: number) => {
    for (let i = 0; i < perWriter; i++) {
      const n = w * 1000 + i;
      const rollback = i % 5 === 4;
      await store.db
        .transaction()
        .execute(async (trx: Transaction<Tables>) => {
          await appendEvent(trx, 'producer', event(n));
          // Hold the transaction open a random while, so commits land out of append order.
          await sql`select pg_sleep(${Math.random() * 0.02})`.execute(trx);
          if (rollback) throw new Error('rolled back on purpose');
        })
        .then(
          () => committed.add(n),
          () => undefined,
        );
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => write(w)));
  writing = false;
  await reader;
  assert.equal(seen.length, new Set(seen).size, 'no event read twice');
  assert.deepEqual([...seen].sort((x, y) => x - y), [...committed].sort((x, y) => x - y), 'every committed event read, none rolled back');
  assert.equal(committed.size, writers * perWriter * 0.8);
});
