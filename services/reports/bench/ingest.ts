/**
 * Reports ingest (run by `npm run bench` as a child process: it lives here,
 * beside the store, so no tool imports a service's source; it prints its
 * figures as one JSON line on stdout): how many events per second the reports read model applies
 * from a feed backlog (a rebuild, or catching up after a checkout burst).
 * In process: a stand-in orders producer (a real SQLite outbox served over
 * HTTP, as the real one) holds `count` confirmed orders; reports' real
 * workers read them into a DuckDB file in a temporary folder, as in
 * production, and the clock runs until the store has applied every event
 * (then the inbox is checked to hold them all).
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
    // The clock stops when the last event is applied, as the store reports it: asking the database how far it
    // got (a count every few ms, each on a connection of its own) would compete with the ingest it measures.
    let applied = 0;
    let finished: (at: number) => void = () => undefined;
    const done = new Promise<number>((resolve) => (finished = resolve));
    const counted: typeof store = {
      ...store,
      async apply(o) {
        const outcome = await store.apply(o);
        if (outcome === 'handled' && ++applied >= count) finished(performance.now());
        return outcome;
      },
      async applyBatch(o) {
        const outcome = await store.applyBatch(o);
        applied += outcome.handled;
        if (applied >= count) finished(performance.now());
        return outcome;
      },
    };
    const t0 = performance.now();
    const workers = await startReportsWorkers({ store: counted, logger: createLogger({ service: 'reports', level: 'warn' }), urls: { orders: orders.url, payments: payments.url }, credentials: testCredentials('reports'), feedWaitMs: 1000 });
    try {
      let timer: NodeJS.Timeout | undefined;
      const end = await Promise.race([done, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`reports ingest: ${applied}/${count} events applied after ${timeoutMs} ms`)), timeoutMs)))]).finally(() => clearTimeout(timer));
      const { events } = await store.progress();
      if (events < count) throw new Error(`reports ingest: the store counts ${events} events, ${count} were applied`);
      const elapsedMs = end - t0;
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
