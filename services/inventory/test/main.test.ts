import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { Type, loadConfig } from '@bazaar/kit';
import { callAs, testCredentialEnv, testLogger, waitFor } from '@bazaar/kit/testing';
import { connectJetStream } from '@bazaar/messaging';
import { startFakeCatalog } from './fake-catalog.ts';

const mainTs = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Start the real entry point on a free port; resolves with its URL once it listens. */
async function startProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [mainTs], { env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // On failure the child is killed here: the caller never got it, and a live child would keep this test file's
  // process from ever exiting (the run would hang after the failure instead of reporting it).
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`inventory did not listen within 120 s; stderr: ${stderr}`));
    }, 120_000);
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
  const env = { ...testCredentialEnv('inventory'), CATALOG_URL: catalog.url, ORDERS_URL: 'http://127.0.0.1:9', BAZAAR_DATA_DIR: dataDir, INVENTORY_INITIAL_STOCK: '42', INVENTORY_SWEEP_MS: '50', LOG_LEVEL: 'info' };
  const internal = { ...callAs('inventory', 'orders'), 'content-type': 'application/json' };
  const level = (url: string, id: string) => async () => {
    const res = await json(`${url}/api/inventory/${id}`);
    return res.status === 200 ? (res.body.available as number) : undefined;
  };
  let running: ChildProcess | undefined;
  try {
    await catalog.created('p1');
    const first = await startProcess(env);
    running = first.child;
    assert.equal(await waitFor('inventory to learn p1 from the catalog feed', level(first.url, 'p1'), 30_000), 42);
    const made = await json(`${first.url}/internal/inventory/reservations`, { method: 'POST', headers: internal, body: JSON.stringify({ orderId: 'o1', items: [{ productId: 'p1', quantity: 2 }] }) });
    assert.equal(made.status, 201);
    assert.equal(await stopProcess(first.child), 0, 'a clean exit on SIGTERM');
    assert.ok(first.lines.some((l) => JSON.parse(l).msg === 'stopped'));

    // While it is down the catalog announces another product; nothing is lost.
    await catalog.created('p2');
    const second = await startProcess(env);
    running = second.child;
    assert.equal(await waitFor('inventory to learn p2 after the restart', level(second.url, 'p2'), 30_000), 42);
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

/** The NATS server the JetStream test uses (CI starts one; without it the test fails, saying so). */
const NATS_URL = loadConfig(Type.Object({ NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }) })).NATS_URL;

test('main.ts with NATS_URL: catalog events arrive over JetStream, its own events are relayed to its stream; NATS is not a readiness check', async () => {
  const prefix = `inv${process.pid}_${randomBytes(3).toString('hex')}`;
  const nats = connectJetStream({ url: NATS_URL, prefix, logger: testLogger(), name: 'inventory-test' });
  const handles = await Promise.race([
    nats.ready(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`NATS with JetStream is not reachable at ${NATS_URL}: start it (nats-server -js -a 127.0.0.1 -p 4222 -sd /tmp/nats-js, or .ci/infra) or set NATS_URL`)), 5000)),
  ]);
  const catalog = await startFakeCatalog({ nats: { url: NATS_URL, prefix } });
  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-inventory-nats-'));
  // Nothing listens at CATALOG_URL: with NATS_URL set the catalog's HTTP feed must not be needed.
  const env = { ...testCredentialEnv('inventory'), CATALOG_URL: 'http://127.0.0.1:9', ORDERS_URL: 'http://127.0.0.1:9', BAZAAR_DATA_DIR: dataDir, INVENTORY_INITIAL_STOCK: '42', LOG_LEVEL: 'info', NATS_URL, NATS_STREAM_PREFIX: prefix };
  const internal = { ...callAs('inventory', 'orders'), 'content-type': 'application/json' };
  const level = (url: string, id: string) => async () => {
    const res = await json(`${url}/api/inventory/${id}`);
    return res.status === 200 ? (res.body.available as number) : undefined;
  };
  /** Events in the inventory's stream, and in its outbox (which /internal/events still serves). */
  const counts = async (url: string) => {
    const stream = await handles.jsm.streams.info(nats.names.stream('inventory')).catch(() => undefined);
    const outbox = await json(`${url}/internal/events?after=0&limit=500`, { headers: callAs('inventory') });
    return { stream: stream?.state.messages ?? 0, outbox: (outbox.body.events as unknown[]).length };
  };
  let running: ChildProcess | undefined;
  try {
    await catalog.created('p1');
    const first = await startProcess(env);
    running = first.child;
    assert.equal(await waitFor('inventory to learn p1 over JetStream', level(first.url, 'p1'), 30_000), 42);
    const ready = await json(`${first.url}/readyz`);
    // NATS down must not take every instance out of rotation: the outbox keeps events until it is back.
    assert.deepEqual(ready.body.checks, { store: 'ok' });
    const made = await json(`${first.url}/internal/inventory/reservations`, { method: 'POST', headers: internal, body: JSON.stringify({ orderId: 'o1', items: [{ productId: 'p1', quantity: 2 }] }) });
    assert.equal(made.status, 201);
    const relayed = await waitFor('the relay to publish every outbox event', async () => {
      const c = await counts(first.url);
      return c.outbox > 0 && c.stream === c.outbox ? c : undefined;
    }, 30_000);
    assert.ok(relayed.outbox >= 2, `stock for p1, then the reservation: ${JSON.stringify(relayed)}`);
    assert.equal(await stopProcess(first.child), 0, 'a clean exit on SIGTERM');

    // While it is down the catalog announces another product; the durable consumer resumes after p1.
    await catalog.created('p2');
    const second = await startProcess(env);
    running = second.child;
    assert.equal(await waitFor('inventory to learn p2 after the restart', level(second.url, 'p2'), 30_000), 42);
    assert.equal(await level(second.url, 'p1')(), 40, 'p1 was not given stock again');
    const after = await waitFor('the relay to catch up after the restart', async () => {
      const c = await counts(second.url);
      return c.stream === c.outbox && c.outbox > relayed.outbox ? c : undefined;
    }, 30_000);
    assert.equal(after.stream, after.outbox, 'each event once in the stream');
    assert.equal(await stopProcess(second.child), 0);
    running = undefined;
  } finally {
    if (running && running.exitCode === null) running.kill('SIGKILL');
    await catalog.close();
    const ours: string[] = [];
    for await (const name of handles.jsm.streams.names()) if (name.startsWith(`${prefix}_`)) ours.push(name);
    for (const name of ours) await handles.jsm.streams.delete(name);
    await nats.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
