import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeSqliteDatabase } from '../src/sqlite.ts';

/** node:sqlite's rows have no prototype. */
const plain = (rows: readonly unknown[]) => rows.map((r) => ({ ...(r as object) }));

test('the same SQL is prepared once and its statement reused; the cache is bounded, least recently used out first', () => {
  const db = nodeSqliteDatabase(':memory:');
  const first = db.prepare('select 1 as one');
  assert.equal(db.prepare('select 1 as one'), first, 'the statement is reused');
  assert.deepEqual(plain(first.all([])), [{ one: 1 }]);
  const early = db.prepare('select -1 as n');
  for (let i = 0; i < 600; i++) {
    db.prepare('select 1 as one'); // kept warm: never the least recently used
    db.prepare(`select ${i} as n`);
  }
  assert.equal(db.prepare('select 1 as one'), first, 'a statement in use stays');
  const again = db.prepare('select -1 as n');
  assert.notEqual(again, early, 'a statement unused for 600 others was let go, and is prepared anew');
  assert.deepEqual(plain(again.all([])), [{ n: -1 }]);
  db.close();
});

test('a reused statement sees a column added after it was prepared, and iterating does not disturb it', () => {
  const db = nodeSqliteDatabase(':memory:');
  db.prepare('create table t (a integer)').run([]);
  db.prepare('insert into t (a) values (?)').run([1]);
  db.prepare('insert into t (a) values (?)').run([2]);
  const all = db.prepare('select * from t order by a');
  assert.deepEqual(plain(all.all([])), [{ a: 1 }, { a: 2 }]);
  db.prepare("alter table t add column b text default 'x'").run([]);
  assert.deepEqual(plain(db.prepare('select * from t order by a').all([])), [{ a: 1, b: 'x' }, { a: 2, b: 'x' }]);

  const seen: unknown[] = [];
  for (const row of db.prepare('select * from t order by a').iterate([])) {
    seen.push({ ...(row as object) });
    assert.equal(db.prepare('select * from t order by a').all([]).length, 2, 'the same SQL run while iterating');
  }
  assert.deepEqual(seen, [{ a: 1, b: 'x' }, { a: 2, b: 'x' }]);
  db.close();
});
