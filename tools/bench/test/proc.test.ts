import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pssMb, rssMb } from '../src/proc.ts';

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
