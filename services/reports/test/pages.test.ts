// Reports reads a backlog in the largest pages its feeds serve: every page is one DuckDB transaction, and a
// transaction's cost is mostly per page, not per event (docs/performance.md, "Reports reads its feeds 500 at a time").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@bazaar/kit/testing';
import { confirmedOrder, startProducer, startReports } from './helpers.ts';

/** A pass-through in front of a feed that notes each page a consumer asked for: the `limit` asked and how many events came back. */
async function watchFeed(target: string) {
  const pages: { limit: number; events: number }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    const up = request(url, { method: req.method, headers: req.headers }, (answer: IncomingMessage) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        // The consumers' reads, oldest first (the rebuild's probe asks for the feed's head: newest first, one event).
        if (url.pathname === '/internal/events' && url.searchParams.get('order') !== 'desc' && answer.statusCode === 200) {
          pages.push({ limit: Number(url.searchParams.get('limit')), events: (JSON.parse(body.toString('utf8')) as { events: unknown[] }).events.length });
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers).end(body);
      });
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pages,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

test('a backlog of 1,200 orders is read in pages of 500, each applied whole', { timeout: 60_000 }, async (t) => {
  const orders = await startProducer('orders');
  const payments = await startProducer('payments');
  const feed = await watchFeed(orders.url);
  t.after(async () => {
    await feed.close();
    await orders.close();
    await payments.close();
  });
  await orders.publishAll(Array.from({ length: 1200 }, (_, i) => ({ type: 'orders.order-confirmed', subject: `o${i}`, data: confirmedOrder({ orderId: `o${i}` }) })));

  const reports = await startReports({ ordersUrl: feed.url, paymentsUrl: payments.url });
  t.after(async () => {
    await reports.stop();
    await reports.store.close();
  });
  await waitFor('reports to apply the 1,200 orders', async () => (await reports.store.progress()).events >= 1200, 30_000);

  const read = feed.pages.filter((p) => p.events > 0);
  assert.ok(feed.pages.every((p) => p.limit === 500), `every page asked for 500 events (asked: ${[...new Set(feed.pages.map((p) => p.limit))].join(', ')})`);
  assert.deepEqual(read.map((p) => p.events), [500, 500, 200], 'the backlog came in three pages');
  assert.equal((await reports.sales()).orders, 1200, 'every order counted once');
});
