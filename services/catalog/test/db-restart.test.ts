// Issue 12, defects 1 and 5: while PostgreSQL restarts a service answers 503 with
// Retry-After (not 500 INTERNAL, not a crash) and serves again by itself.
// A PRIVATE PostgreSQL server (own port and data dir) is stopped and restarted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPrivatePostgres } from '@bazaar/store/private-server';
import { startCatalog } from './helpers.ts';

test('database away: 503 STORE_UNAVAILABLE with Retry-After, /readyz 503; back to 200 by itself, never a 500', { timeout: 120_000 }, async (t) => {
  const server = await startPrivatePostgres({ name: 'catalog' });
  t.after(() => server.destroy());
  const { app } = await startCatalog({ where: { dataDir: '', postgres: { url: server.url.replace(/\/postgres$/, '/bazaar_catalog'), poolSize: 3 } } });
  t.after(() => app.close());
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));

  const list = () => app.inject({ method: 'GET', url: '/api/catalog/products?limit=5' });
  assert.equal((await list()).statusCode, 200);

  // Load while the server restarts: every answer is a 200 or a 503 that says when to retry.
  const statuses = new Map<number, number>();
  let stop = false;
  const load = (async () => {
    while (!stop) {
      const res = await list();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode === 503) assert.ok(res.headers['retry-after'], 'a 503 carries Retry-After');
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await server.restart();
  await server.stop();

  const down = await list();
  assert.equal(down.statusCode, 503, down.body);
  assert.equal(down.json().code, 'STORE_UNAVAILABLE');
  assert.equal(down.headers['retry-after'], '2');
  assert.equal(down.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);

  await server.start();
  const deadline = Date.now() + 30_000;
  let res = await list();
  while (res.statusCode !== 200) {
    if (Date.now() > deadline) throw new Error(`catalog did not answer 200 within 30 s after PostgreSQL came back (last: ${res.statusCode} ${res.body})`);
    await new Promise((r) => setTimeout(r, 100));
    res = await list();
  }
  stop = true;
  await load;
  assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  assert.deepEqual([...statuses.keys()].filter((s) => s !== 200 && s !== 503), [], `only 200 and 503 while restarting: ${JSON.stringify([...statuses])}`);
  assert.deepEqual(uncaught, []);
});
