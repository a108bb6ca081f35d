// The DuckDB file across restarts: a clean close, and a kill -9 of the process
// that wrote it (DuckDB's write-ahead log replayed on the next open).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyCloudEvent, EventData, EventType } from '@bazaar/contracts/events';
import { createReports } from '../src/domain/sales.ts';
import { decodeEvent } from '../src/events.ts';
import { openReportsStore, type ReportsStore } from '../src/store/index.ts';
import { cancelledOrder, confirmedOrder, orderOf, payment } from './helpers.ts';

const eventOf = <T extends EventType>(type: T, data: EventData<T>, sequence: number): AnyCloudEvent => ({
  specversion: '1.0',
  id: `${type}-${sequence}`,
  source: type.split('.')[0] as string,
  type,
  time: '2026-01-03T10:00:00.000Z',
  datacontenttype: 'application/json',
  sequence,
  data,
});

const history = (): AnyCloudEvent[] => [
  eventOf('orders.order-confirmed', confirmedOrder({ orderId: 'o1' }), 1),
  eventOf('orders.order-confirmed', orderOf({ orderId: 'o2', productId: 'p-cup', quantity: 3, price: 500, confirmedAt: '2026-01-03T09:00:00Z' }), 2),
  eventOf('orders.order-cancelled', cancelledOrder({ orderId: 'o3' }), 3),
  eventOf('payments.payment-refunded', payment('REFUNDED', { orderId: 'o2', amount: { amount: 500, currency: 'EUR' } }), 1),
];

async function applyAll(store: ReportsStore, events: AnyCloudEvent[]): Promise<void> {
  for (const event of events) {
    const decoded = decodeEvent(event);
    if (decoded.kind !== 'fact') throw new Error(`not a fact: ${event.type}`);
    await store.apply({ event, stream: `${event.source}/reports`, fact: decoded.fact });
  }
}

const report = (store: ReportsStore) => createReports({ figures: store, currency: 'EUR' }).sales({ top: 10 });

test('a new file is marked for a rebuild; closed and reopened, it keeps its data and its positions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reports-restart-'));
  try {
    const first = await openReportsStore({ dataDir: dir });
    assert.equal(first.location, join(dir, 'reports.duckdb'));
    assert.deepEqual(first.applied, ['0001_init']);
    const startedAt = await first.rebuildStartedAt();
    assert.ok(startedAt, 'a missing file is rebuilt from position 0');
    await applyAll(first, history());
    assert.equal(await first.finishRebuild(startedAt), true);
    const before = await report(first);
    assert.equal(before.orders, 2);
    await first.close();

    const second = await openReportsStore({ dataDir: dir });
    assert.deepEqual(second.applied, []);
    assert.equal(await second.rebuildStartedAt(), undefined);
    assert.deepEqual(await report(second), before);
    assert.equal(await second.cursors.load('orders/reports'), 3);
    assert.equal(await second.cursors.load('payments/reports'), 1);
    // Redelivered after the restart, the history changes nothing.
    await applyAll(second, history());
    assert.deepEqual(await report(second), before);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kill -9 of the writing process: after the restart, the same answers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reports-kill-'));
  try {
    const setup = await openReportsStore({ dataDir: dir });
    await setup.finishRebuild((await setup.rebuildStartedAt()) as string);
    await setup.close();

    const writer = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url)), dir, JSON.stringify(history())], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    writer.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => writer.on('exit', (code, signal) => resolve(signal ?? code)));
    await new Promise<void>((resolve, reject) => {
      writer.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('committed')) resolve();
      });
      void exited.then((how) => reject(new Error(`the writer exited (${String(how)}) before committing: ${stderr}`)));
    });
    assert.ok(existsSync(join(dir, 'reports.duckdb.wal')), 'the commits are in the write-ahead log, not yet checkpointed');
    writer.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const after = await openReportsStore({ dataDir: dir });
    const sales = await report(after);
    assert.equal(sales.orders, 2);
    assert.deepEqual(sales.grossRevenue, { amount: 5348 + 1500, currency: 'EUR' });
    assert.deepEqual(sales.revenue, { amount: 5348 + 1000, currency: 'EUR' });
    assert.deepEqual(sales.topProducts.map((p) => [p.productId, p.units]), [['p-cup', 3], ['p-lamp', 2], ['p-pen', 1]]);
    assert.equal(sales.cancelled.count, 1);
    assert.equal(await after.cursors.load('orders/reports'), 3);
    assert.equal((await after.progress()).events, 4);
    await after.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
