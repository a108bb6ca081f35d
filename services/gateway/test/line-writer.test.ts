// The batched log writer: every line arrives, in order, in few writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@bazaar/kit/testing';
import { LineWriter } from '../src/proxy/line-writer.ts';

test('lines are batched, written in order, and flushed on demand', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'line-writer-'));
  const file = join(dir, 'out.log');
  const fd = openSync(file, 'w');
  t.after(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  const writer = new LineWriter({ fd, batchBytes: 1000, flushEveryMs: 60_000 });
  writer.write('first\n');
  assert.equal(readFileSync(file, 'utf8'), '', 'a small amount waits for the batch');
  for (let i = 0; i < 100; i++) writer.write(`line ${i} ${'x'.repeat(40)}\n`);
  await waitFor('the full batch to reach the file', () => readFileSync(file, 'utf8').length > 0, 2000);
  assert.ok(readFileSync(file, 'utf8').startsWith('first\nline 0 '), 'a full batch is written without waiting');
  writer.write('last\n');
  await new Promise((r) => setTimeout(r, 50));
  writer.flushSync();
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 102);
  assert.equal(lines[101], 'last');
  assert.deepEqual(lines.slice(1, 101), Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(40)}`));
});
