// The batched log writer: every line arrives, in order, in few writes.
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../src/testing.ts';
import { LineWriter } from '../src/line-writer.ts';

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

/**
 * Run a script (an ES module in the kit's folder) in a child process; returns its exit code, stdout and stderr. The
 * child's stdout is a pipe, as under the launcher.
 */
function runChild(script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// A service's log lines used to go to process.stdout one write(2) (plus fcntl and fstat calls) each: a fifth of a
// product read's CPU. They go through the batched writer now, and reach stdout all the same, in order.
test("a service's logger batches its lines instead of writing each to process.stdout", () => {
  const { status, stdout, stderr } = runChild(`
    import { createLogger } from './src/index.ts';
    let writes = 0;
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (...args) => { writes++; return write(...args); };
    const logger = createLogger({ service: 'probe' });
    for (let i = 0; i < 100; i++) logger.info({ i }, 'line');
    process.stderr.write('stdout writes: ' + writes + '\\n');
  `);
  assert.equal(status, 0, stderr);
  assert.match(stderr, /stdout writes: 0\n/, 'no line was written to process.stdout on its own');
  const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { i: number; service: string; msg: string });
  assert.deepEqual(lines.map((l) => l.i), Array.from({ length: 100 }, (_, i) => i), 'every line arrived, in order, by the exit');
  assert.equal(lines[0]?.service, 'probe');
});

test('the lines still queued when a service crashes are written before it exits', () => {
  const { status, stdout, stderr } = runChild(`
    import { createLogger, startService } from './src/index.ts';
    const logger = createLogger({ service: 'probe' });
    await startService({ config: { HOST: '127.0.0.1', PORT: 0, SHUTDOWN_TIMEOUT_MS: 1000 }, logger, app: { listen: async () => ({}), close: async () => {} } });
    logger.info('before the crash');
    setTimeout(() => { throw new Error('boom'); }, 10);
  `);
  assert.equal(status, 1, stderr);
  const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { msg: string; level: string; err?: { message: string } });
  assert.deepEqual(lines.map((l) => l.msg), ['listening', 'before the crash', 'uncaught exception: exiting']);
  assert.equal(lines[2]?.err?.message, 'boom');
});
