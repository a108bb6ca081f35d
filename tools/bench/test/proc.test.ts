import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { descendants, pssMb, rssMb } from '../src/proc.ts';
import { until } from '../../launcher/src/harness.ts';

test("PSS counts the pages a process shares with another once between them; RSS counts them in each", async () => {
  // A second node process maps the same binary as this one: its resident pages of it are shared.
  const child = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(child.stdout, 'data');
    const pid = child.pid as number;
    const rss = rssMb(pid);
    const pss = pssMb(pid);
    assert.ok(rss !== undefined && rss > 0, `RSS read (${rss})`);
    assert.ok(pss !== undefined && pss > 0, `PSS read (${pss})`);
    assert.ok(pss < rss, `PSS ${pss} MB below RSS ${rss} MB: the shared pages count in part`);
  } finally {
    child.kill();
  }
  await once(child, 'exit');
  assert.equal(pssMb(child.pid as number), undefined, 'a process that is gone has no figure');
});

// The bench's "whole system" is the launcher and everything under it: a process two levels down counts too.
test('descendants: children and grandchildren of a process, not the process itself nor others', async () => {
  const child = spawn('sh', ['-c', 'sleep 30 & echo up; wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let sleeper: number | undefined;
  try {
    await once(child.stdout, 'data');
    // The shell says "up" once it has forked; the fork becomes `sleep` when its exec is done, which on a busy machine
    // can come after (it is found as a second "sh" until then).
    const found = await until(`a "sleep" under the shell ${child.pid}`, 10_000, () => {
      const now = descendants(process.pid);
      return now.some((p) => p.comm === 'sleep') ? now : undefined;
    });
    const shell = found.find((p) => p.pid === child.pid);
    assert.ok(shell, `the shell (${child.pid}) is found: ${JSON.stringify(found)}`);
    sleeper = found.find((p) => p.comm === 'sleep')?.pid;
    assert.ok(sleeper !== undefined, 'its child, the sleep, is found');
    assert.ok(!found.some((p) => p.pid === process.pid), 'not the root itself');
    const underShell = descendants(child.pid as number);
    assert.deepEqual(underShell.map((p) => p.comm), ['sleep'], 'under the shell: only its sleep');
  } finally {
    if (sleeper !== undefined) process.kill(sleeper);
    child.kill();
  }
});
