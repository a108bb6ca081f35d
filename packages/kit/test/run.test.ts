import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { freePort, waitFor } from '../src/testing.ts';

const fixture = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url));


function start(env: Record<string, string>, stdin: 'ignore' | 'pipe' = 'ignore') {
  const child = spawn(process.execPath, [fixture], { env: { ...process.env, ...env }, stdio: [stdin, 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exit, out: () => out, err: () => err };
}

test('SIGTERM drains the in-flight request, runs onClose hooks and exits 0', async () => {
  const port = await freePort();
  const svc = start({ PORT: String(port) });
  await waitFor('the service to log "listening"', () => svc.out().includes('"listening"') || (svc.child.exitCode !== null && assert.fail(`service did not start: ${svc.err()}`)), 30_000);
  const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
  // SIGTERM once the request is being handled (a fixed 100 ms sleep could send it before the request arrived on a busy machine).
  await waitFor('the /slow request to reach the handler', () => svc.out().includes('slow request started'), 30_000);
  svc.child.kill('SIGTERM');
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { done: true });
  assert.equal(await svc.exit, 0);
  const messages = svc.out().split('\n').filter(Boolean).map((l) => JSON.parse(l).msg);
  assert.ok(messages.includes('shutting down: draining requests'));
  assert.ok(messages.indexOf('store closed') < messages.indexOf('stopped'), messages.join(' | '));
});

test('a bad variable stops the service with exit 78 and a message naming it', async () => {
  const svc = start({ PORT: 'not-a-port', LOG_LEVEL: 'chatty' });
  assert.equal(await svc.exit, 78);
  assert.match(svc.err(), /PORT: must be integer, got "not-a-port"/);
  assert.match(svc.err(), /LOG_LEVEL: must be one of/);
  assert.doesNotMatch(svc.err(), /\n\s+at /, 'no stack trace for a configuration error');
});

test('a taken port is a clear fatal message, exit 1', async () => {
  const blocker = createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
  try {
    const svc = start({ PORT: String(port) });
    assert.equal(await svc.exit, 1);
    assert.match(svc.out(), new RegExp(`port ${port} is taken: set PORT`));
  } finally {
    blocker.close();
  }
});

test('started by the launcher, a service stops when its stdin ends (the launcher is gone, even killed with kill -9); otherwise stdin means nothing', async () => {
  const port = await freePort();
  const svc = start({ PORT: String(port), BAZAAR_EXIT_WITH_LAUNCHER: 'true' }, 'pipe');
  await waitFor('the service to log "listening"', () => svc.out().includes('"listening"') || (svc.child.exitCode !== null && assert.fail(`service did not start: ${svc.err()}`)), 30_000);
  // What the kernel does for a launcher that dies: its end of the pipe closes.
  svc.child.stdin?.end();
  await waitFor('the service to exit after its stdin closed', () => svc.child.exitCode !== null, 30_000);
  assert.equal(await svc.exit, 0, 'stopped as on SIGTERM');
  const lines = svc.out().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; signal?: string });
  assert.ok(lines.some((l) => l.msg === 'shutting down: draining requests' && l.signal === 'launcher gone'), lines.map((l) => l.msg).join(' | '));

  // Without the setting (a service run by hand, or in a container), stdin closing changes nothing.
  const alone = start({ PORT: String(await freePort()) }, 'pipe');
  await waitFor('the service to log "listening"', () => alone.out().includes('"listening"') || (alone.child.exitCode !== null && assert.fail(`service did not start: ${alone.err()}`)), 30_000);
  alone.child.stdin?.end();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(alone.child.exitCode, null, 'still running');
  alone.child.kill('SIGTERM');
  await waitFor('the service to exit after SIGTERM', () => alone.child.exitCode !== null, 30_000);
  assert.equal(await alone.exit, 0);
});
