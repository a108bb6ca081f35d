/**
 * Reports ingest (run by `npm run bench` as a child process: it lives here,
 * beside the store, so no tool imports a service's source; it prints its
 * figures as one JSON line on stdout): how many events per second the reports read model applies
 * from a feed backlog (a rebuild, or catching up after a checkout burst).
 * In process: a stand-in orders producer (a real SQLite outbox served over
 * HTTP, as the real one) holds `count` confirmed orders; reports' real
 * workers read them into a DuckDB file in a temporary folder, as in
 * production, and the clock runs until every event is in the inbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@bazaar/kit';
import { testCredentials } from '@bazaar/kit/testing';
import { startTestProducer } from '@bazaar/messaging/testing';
import type { NewEvent } from '@bazaar/messaging';
import { openReportsStore } from '../src/store/index.ts';
import { startReportsWorkers } from '../src/workers.ts';

export interface IngestFigures {
  events: number;
  elapsedMs: number;
  eventsPerS: number;
}

const eur = (amount: number) => ({ amount, currency: 'EUR' });

function order(i: number): NewEvent {
  const day = String(1 + (i % 28)).padStart(2, '0');
  return {
    type: 'orders.order-confirmed',
    subject: `o${i}`,
    data: {
      orderId: `o${i}`,
      userId: `u${i % 50}`,
      email: 'bench@example.test',
      items: [
        { productId: `p${i % 40}`, name: 'Lamp', quantity: 2, unitPrice: eur(2599), lineTotal: eur(5198) },
        { productId: `p${(i + 7) % 40}`, name: 'Pen', quantity: 1, unitPrice: eur(150), lineTotal: eur(150) },
      ],
      total: eur(5348),
      confirmedAt: `2026-01-${day}T10:00:00.000Z`,
    },
  };
}

/** Publish `count` confirmed orders, then time reports applying all of them from position 0. */
export async function benchReportsIngest(count: number, timeoutMs = 600_000): Promise<IngestFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-bench-reports-'));
  const orders = await startTestProducer({ source: 'orders', credentials: testCredentials('orders') });
  const payments = await startTestProducer({ source: 'payments', credentials: testCredentials('payments') });
  try {
    for (let i = 0; i < count; i += 500) await orders.publishAll(Array.from({ length: Math.min(500, count - i) }, (_, k) => order(i + k)));
    const store = await openReportsStore({ dataDir: dir });
    const t0 = performance.now();
    const workers = await startReportsWorkers({ store, logger: createLogger({ service: 'reports', level: 'warn' }), urls: { orders: orders.url, payments: payments.url }, credentials: testCredentials('reports'), feedWaitMs: 1000 });
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { events } = await store.progress();
        if (events >= count) break;
        if (Date.now() > deadline) throw new Error(`reports ingest: ${events}/${count} events applied after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const elapsedMs = performance.now() - t0;
      return { events: count, elapsedMs, eventsPerS: (count * 1000) / elapsedMs };
    } finally {
      await workers.stop();
      await store.close();
    }
  } finally {
    await orders.close();
    await payments.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const count = Number(process.argv[2] ?? 2000);
  const f = await benchReportsIngest(count);
  process.stdout.write(`${JSON.stringify(f)}\n`);
}
