// Test files that start whole systems run side by side (and other checkouts'
// tests may run on the same machine): each system's 100 ports must be its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../src/harness.ts';

const harness = fileURLToPath(new URL('../src/harness.ts', import.meta.url));

/** A process that claims a port base for `slot` (twice: the same slot answers the same base), prints it, then waits for stdin to close. */
function claimer(tmp: string, slot: number) {
  const code = `const h = await import(${JSON.stringify(harness)});
let out; try { const a = h.portBaseFor(${slot}); const b = h.portBaseFor(${slot}); out = a === b ? String(a) : 'unstable ' + a + ' ' + b; } catch (e) { out = 'error ' + e.message; }
process.stdout.write(out + '\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, TMPDIR: tmp }, stdio: ['pipe', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    answer: () => until(`process ${child.pid} to print its port base`, 60_000, async () => (text.includes('\n') ? text.trim() : undefined)),
    async end() {
      child.stdin.end();
      await exited;
    },
  };
}

test('two processes asking for the same slot get disjoint blocks of 100 ports; the locks go when they exit', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bazaar-ports-'));
  try {
    const a = claimer(tmp, 7);
    const b = claimer(tmp, 7);
    const [baseA, baseB] = [Number(await a.answer()), Number(await b.answer())];
    assert.ok(Number.isInteger(baseA) && Number.isInteger(baseB), `both got a base (${baseA}, ${baseB})`);
    assert.ok(Math.abs(baseA - baseB) >= 100, `ranges overlap: ${baseA} and ${baseB}`);
    for (const base of [baseA, baseB]) assert.ok(base >= 20_000 && base + 99 < 32_000 && base % 100 === 0, `base ${base} is a whole block in 20000-31999`);
    assert.equal(readdirSync(join(tmp, 'bazaar-port-blocks')).length, 2, 'one lock each while they run');
    await Promise.all([a.end(), b.end()]);
    assert.deepEqual(readdirSync(join(tmp, 'bazaar-port-blocks')), [], 'locks removed on exit');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('locks of processes that are gone are taken over; when every block is held by a live process the error says so', { timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bazaar-ports-'));
  try {
    const dir = join(tmp, 'bazaar-port-blocks');
    const gone = claimer(tmp, 1);
    await gone.answer();
    const deadPid = gone.child.pid as number;
    gone.child.kill('SIGKILL'); // no exit handler runs: its lock stays behind
    await gone.end();
    for (let block = 0; block < 120; block++) writeFileSync(join(dir, `${block}.${deadPid}`), '');
    const taker = claimer(tmp, 1);
    assert.match(await taker.answer(), /^\d+$/, 'a block held only by a dead process is taken');
    await taker.end();

    for (const name of readdirSync(dir)) rmSync(join(dir, name));
    for (let block = 0; block < 120; block++) writeFileSync(join(dir, `${block}.${process.pid}`), '');
    const refused = claimer(tmp, 1);
    assert.match(await refused.answer(), /^error no free block of 100 ports .* by a live process/);
    await refused.end();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
