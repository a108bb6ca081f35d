import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@bazaar/kit/testing';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

test('main: listens with env knobs, never logs the card number, and a bad knob fails fast naming it', async (t) => {
  const child = spawn(process.execPath, [MAIN], { env: { PORT: '0', PSP_LATENCY_MS: '0', PSP_FAILURE_RATE: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGTERM'));
  const lines: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('psp-sim did not log "listening" within 120 s')), 120_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'listening' && entry.address) {
        clearTimeout(timer);
        resolve(entry.address);
      }
    });
  });
  const res = await fetch(`${url}/v1/authorizations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'main-1' },
    body: JSON.stringify({ amount: 100, currency: 'EUR', card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' } }),
  });
  assert.equal(res.status, 201);
  assert.deepEqual(await (await fetch(`${url}/admin/config`)).json(), { latencyMs: 0, failureRate: 0 });
  // The access line for the call is written after the response; wait for it.
  await waitFor('the access line of the authorization', () => lines.some((l) => l.includes('/v1/authorizations')), 30_000);
  assert.ok(lines.some((l) => l.includes('/v1/authorizations')), 'the request was logged');
  assert.ok(!lines.some((l) => l.includes('4242424242424242')), 'the card number is never logged');

  const bad = spawn(process.execPath, [MAIN], { env: { PORT: '0', PSP_FAILURE_RATE: '2' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  bad.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => bad.on('exit', resolve));
  assert.equal(code, 78);
  assert.match(stderr, /PSP_FAILURE_RATE/);
});
