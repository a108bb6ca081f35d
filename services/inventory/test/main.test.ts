import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { SERVICE_TOKEN_HEADER } from '@bazaar/kit';
import { startFakeCatalog } from './fake-catalog.ts';
import { SERVICE_TOKEN, until } from './helpers.ts';

const mainTs = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Start the real entry point on a free port; resolves with its URL once it listens. */
async function startProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [mainTs], { env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`inventory did not listen within 10 s; stderr: ${stderr}`)), 10_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'listening' && entry.address) {
        clearTimeout(timer);
        resolve(entry.address);
      }
    });
    child.on('exit', (code) => reject(new Error(`inventory exited with ${code}; stderr: ${stderr}`)));
  });
  return { url, child, lines };
}

async function stopProcess(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

test('main.ts: consumes catalog events, serves, drains on SIGTERM, and keeps its data and position across a restart', async () => {
  const catalog = await startFakeCatalog();
  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-inventory-main-'));
  const env = { BAZAAR_SERVICE_TOKEN: SERVICE_TOKEN, CATALOG_URL: catalog.url, BAZAAR_DATA_DIR: dataDir, INVENTORY_INITIAL_STOCK: '42', INVENTORY_SWEEP_MS: '50', LOG_LEVEL: 'info' };
  const internal = { [SERVICE_TOKEN_HEADER]: SERVICE_TOKEN, 'content-type': 'application/json' };
  const level = (url: string, id: string) => async () => {
    const res = await json(`${url}/api/inventory/${id}`);
    return res.status === 200 ? (res.body.available as number) : undefined;
  };
  let running: ChildProcess | undefined;
  try {
    await catalog.created('p1');
    const first = await startProcess(env);
    running = first.child;
    assert.equal(await until('inventory to learn p1 from the catalog feed', 10_000, level(first.url, 'p1')), 42);
    const made = await json(`${first.url}/internal/inventory/reservations`, { method: 'POST', headers: internal, body: JSON.stringify({ orderId: 'o1', items: [{ productId: 'p1', quantity: 2 }] }) });
    assert.equal(made.status, 201);
    assert.equal(await stopProcess(first.child), 0, 'a clean exit on SIGTERM');
    assert.ok(first.lines.some((l) => JSON.parse(l).msg === 'stopped'));

    // While it is down the catalog announces another product; nothing is lost.
    await catalog.created('p2');
    const second = await startProcess(env);
    running = second.child;
    assert.equal(await until('inventory to learn p2 after the restart', 10_000, level(second.url, 'p2')), 42);
    assert.equal(await level(second.url, 'p1')(), 40, 'stock and the reservation survived; p1 was not given stock again');
    const reservation = await json(`${second.url}/internal/inventory/reservations/o1`, { headers: internal });
    assert.equal(reservation.body.status, 'RESERVED');
    assert.equal(await stopProcess(second.child), 0);
    running = undefined;
  } finally {
    if (running && running.exitCode === null) running.kill('SIGKILL');
    await catalog.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
