// isUniqueViolation against real errors from both dialects (node:sqlite, PostgreSQL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUniqueViolation, openStore, type Migration } from '../src/index.ts';
import { DIALECTS, testLocation } from '../src/testing.ts';
import { notesMigrations, type NotesDB } from './fixtures/notes.ts';

const migrations: Record<string, Migration> = {
  '0001_notes': notesMigrations['0001_notes'] as Migration,
  '0002_pinned': notesMigrations['0002_pinned'] as Migration,
};

/** The error a write throws, or undefined when it succeeds. */
async function failure(write: () => Promise<unknown>): Promise<unknown> {
  try {
    await write();
    return undefined;
  } catch (error) {
    return error;
  }
}

for (const dialect of DIALECTS) {
  test(`${dialect}: a duplicate primary key is a unique violation; other failures are not`, async (t) => {
    const store = await openStore<Pick<NotesDB, 'notes'>>({ service: 'unique', migrations, ...(await testLocation(dialect, 'unique', t)) });
    t.after(() => store.close());
    const note = { id: 'n1', body: 'hello', pinned: 0, created_at: '2026-01-01T00:00:00.000Z' };
    await store.db.insertInto('notes').values(note).execute();

    const duplicate = await failure(() => store.db.insertInto('notes').values(note).execute());
    assert.ok(duplicate !== undefined, 'the second insert of one id fails');
    assert.equal(isUniqueViolation(duplicate), true, `not recognised: ${String(duplicate)}`);

    const notNull = await failure(() => store.db.insertInto('notes').values({ ...note, id: 'n2', body: null as unknown as string }).execute());
    assert.ok(notNull !== undefined, 'a NULL body fails');
    assert.equal(isUniqueViolation(notNull), false, 'a NOT NULL failure is not a unique violation');
    assert.equal(isUniqueViolation(new Error('boom')), false);
    assert.equal(isUniqueViolation(undefined), false);
  });
}
