// Checkout end to end on real infrastructure: every relational service on its
// own fresh PostgreSQL database, carts (and the gateway's rate limits) in
// Redis under a run-unique key prefix, events over NATS JetStream under a
// run-unique stream prefix, and three payments instances. A steady stream of
// checkouts runs while one payments instance is killed with SIGKILL and then
// while payments gets a rolling restart; afterwards every invariant of the
// shopping flow is checked over every order, and every outbox event is found
// exactly once in its JetStream stream with every durable consumer caught up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Type, loadConfig } from '@bazaar/kit';
import { testLogger } from '@bazaar/kit/testing';
import { connectJetStream, type JetStreamConnection, type NatsHandles } from '@bazaar/messaging';
import { createTestDatabase, testPostgresServer } from '@bazaar/store/testing';
import { portBaseFor, startSystem, until, type RunningSystem } from '../../tools/launcher/src/harness.ts';
import { checkInfra, infraEnv } from '../../tools/launcher/src/infra.ts';
import { http, logIn, signUp, type Reply } from './client.ts';
import { checkoutTrace } from './traces.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUN = `${process.pid}_${randomBytes(3).toString('hex')}`;
const STREAM_PREFIX = `e2e${RUN}`;
const REDIS_PREFIX = `bazaar:e2e:${RUN}:`;
const { NATS_URL, BAZAAR_TEST_REDIS_URL: REDIS_URL } = loadConfig(
  Type.Object({ NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }), BAZAAR_TEST_REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }) }),
);
const APPROVE = '4242424242424242';
const DECLINE = '4000000000000002';
const address = { name: 'Sam Shopper', line1: '1 Market Street', city: 'Lyon', postalCode: '69001', country: 'FR' };

const work = mkdtempSync(join(tmpdir(), 'bazaar-infra-'));
const databases: { drop(): Promise<void> }[] = [];
let system: RunningSystem | undefined;
/** The operator's credential header for this run's /internal reads. */
const internal = (service: string): Record<string, string> => {
  if (!system) throw new Error('the system is not running');
  return system.callAs(service);
};
let nats: JetStreamConnection | undefined;
let js: NatsHandles;
let url: Record<string, string> = {};
let admin = '';
/** Logs are kept (and their folder printed) when the test fails. */
let passed = false;

interface Shopper { token: string; email: string }
/** Every checkout the client saw succeed (2xx with an order id). */
const placed: { orderId: string; shopper: Shopper; card: string }[] = [];
/** Every checkout the client saw fail, with what it saw. */
const failed: string[] = [];
const shoppers: Shopper[] = [];
const initialStock = new Map<string, number>();

/** Services with a relational store (@bazaar/store at run time): each gets its own fresh database. */
function relationalServices(): string[] {
  return readdirSync(join(root, 'services')).filter((name) => {
    try {
      const pkg = JSON.parse(readFileSync(join(root, 'services', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      return pkg.dependencies?.['@bazaar/store'] !== undefined;
    } catch {
      return false;
    }
  });
}

before(async () => {
  const { targets } = infraEnv({ BAZAAR_POSTGRES_URL: testPostgresServer(), REDIS_URL, NATS_URL });
  const problems = await checkInfra(targets);
  if (problems.length > 0) throw new Error(`This test runs on real PostgreSQL, Redis and NATS JetStream (.ci/infra starts all three):\n  - ${problems.join('\n  - ')}`);
  const env: Record<string, string> = {
    // One database per service, made for this run (bazaar_test_<pid>_<random>_<service>): never a developer's bazaar_<service>.
    BAZAAR_POSTGRES_URL: '',
    BAZAAR_POSTGRES_POOL_SIZE: '4',
    NATS_URL,
    NATS_STREAM_PREFIX: STREAM_PREFIX,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${REDIS_PREFIX}cart:`,
    RATE_LIMIT_KEY_PREFIX: `${REDIS_PREFIX}ratelimit:`,
    // This test is about infrastructure, not the gateway's rate limits.
    RATE_LIMITS: 'read=100000/min,write=100000/min,auth=10000/min',
    INVENTORY_INITIAL_STOCK: '100',
  };
  for (const service of relationalServices()) {
    const db = await createTestDatabase(service);
    databases.push(db);
    env[`${service.toUpperCase().replaceAll('-', '_')}_DATABASE_URL`] = db.target.url;
  }
  system = await startSystem({ portBase: portBaseFor(5), dataDir: join(work, 'data'), logDir: join(work, 'logs'), env, args: ['--scale', 'payments=3'], readyTimeoutMs: 240_000 });
  url = Object.fromEntries((await system.services()).map((s) => [s.name, s.url]));
  nats = connectJetStream({ url: NATS_URL, prefix: STREAM_PREFIX, logger: testLogger(), name: 'e2e-infra' });
  js = await nats.ready();
  admin = await logIn(system.gatewayUrl, 'admin@bazaar.local', 'bazaar-admin-password');
});

after(async () => {
  await system?.stop();
  if (nats) {
    const ours: string[] = [];
    for await (const name of js.jsm.streams.names()) if (name.startsWith(`${STREAM_PREFIX}_`)) ours.push(name);
    for (const name of ours) await js.jsm.streams.delete(name);
    await nats.close();
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().then(async () => {
    for (let cursor = '0', first = true; first || cursor !== '0'; first = false) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    }
  }, () => undefined);
  redis.disconnect();
  for (const db of databases) await db.drop();
  if (passed) rmSync(work, { recursive: true, force: true });
  else console.log(`infra e2e: service logs kept in ${join(work, 'logs')}`);
});

const api = (path: string) => `${(system as RunningSystem).gatewayUrl}${path}`;

async function newShopper(n: number): Promise<Shopper> {
  const email = `infra-${RUN}-${n}@example.com`;
  const password = 'correct horse battery staple';
  return { token: await signUp((system as RunningSystem).gatewayUrl, { email, password, name: `Shopper ${n}` }), email };
}

async function products(count: number, stock: number): Promise<string[]> {
  const page = await http<{ items: { id: string }[] }>(api(`/api/catalog/products?limit=${count}`));
  for (const { id } of page.body.items) {
    // Inventory learns products from catalog events, over JetStream here.
    await until(`inventory to know ${id}`, 60_000, async () => ((await http(api(`/api/inventory/${id}`))).status === 200 ? true : undefined));
    assert.equal((await http(api(`/api/inventory/${id}`), { method: 'PUT', body: { available: stock }, token: admin })).status, 200);
    initialStock.set(id, stock);
  }
  return page.body.items.map((p) => p.id);
}

async function finalOrder(token: string, orderId: string, ms = 60_000) {
  return until(`order ${orderId} to finish`, ms, async () => {
    const res = await http<{ status: string; reason?: string }>(api(`/api/orders/${orderId}`), { token });
    return res.body.status && res.body.status !== 'PENDING' ? res.body : undefined;
  });
}

/**
 * What a well-behaved client does: try again on 5xx or a dropped connection
 * (three attempts, the same request — for checkout the same Idempotency-Key),
 * and give up with what it saw last.
 */
async function withRetries<T>(send: () => Promise<Reply<T>>): Promise<Reply<T> | string> {
  let last = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const res = await send();
      if (res.status < 500) return res;
      last = `${res.status} ${JSON.stringify(res.body)}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 300 * attempt));
  }
  return last;
}

/** One shopper's loop: fill the cart, check out, wait for the outcome (and the cart to empty), again, until told to stop. */
async function shop(shopper: Shopper, lines: string[], n: number, stop: () => boolean): Promise<void> {
  for (let i = 1; !stop(); i++) {
    let version = '';
    for (const id of lines) {
      const put = await withRetries(() => http(api(`/api/cart/items/${id}`), { method: 'PUT', body: { quantity: 1 }, token: shopper.token }));
      assert.ok(typeof put !== 'string' && put.status === 200, `filling the cart: ${typeof put === 'string' ? put : JSON.stringify(put.body)}`);
      version = put.etag ?? '';
    }
    const card = i % 5 === 0 ? DECLINE : APPROVE;
    const res = await withRetries(() =>
      http<{ orderId?: string }>(api('/api/checkout'), {
        method: 'POST',
        token: shopper.token,
        headers: { 'idempotency-key': `s${n}-${i}`, 'if-match': version },
        body: { shippingAddress: address, card: { number: card, expMonth: 12, expYear: 2035, cvc: '123' } },
      }),
    );
    if (typeof res === 'string' || res.status >= 300 || !res.body.orderId) {
      failed.push(`${shopper.email} #${i}: ${typeof res === 'string' ? res : `${res.status} ${JSON.stringify(res.body)}`}`);
      continue;
    }
    placed.push({ orderId: res.body.orderId, shopper, card });
    const order = await finalOrder(shopper.token, res.body.orderId);
    if (order.status === 'CONFIRMED') {
      // orders.order-confirmed reaches the cart over JetStream; refilling before that would race the removal.
      await until(`${shopper.email}'s cart to be emptied`, 60_000, async () => ((await http<{ items: unknown[] }>(api('/api/cart'), { token: shopper.token })).body.items.length === 0 ? true : undefined));
    }
    // A shopper's pause between orders: a steady stream, not a benchmark, on a machine shared with the services.
    await new Promise((r) => setTimeout(r, 300));
  }
}

const checkouts = () => placed.length + failed.length;

async function pidOf(name: string): Promise<number> {
  return (await (system as RunningSystem).service(name)).pid as number;
}

test('checkouts under load on PostgreSQL, Redis and NATS: a payments instance killed, then payments rolled; nothing lost or doubled', { timeout: 600_000 }, async () => {
  const sys = system as RunningSystem;
  assert.deepEqual((await sys.services()).filter((s) => s.name.startsWith('payments')).map((s) => s.name), ['payments', 'payments-2', 'payments-3']);
  // On NATS: catalog's relay has published its seed events to catalog's stream under this run's prefix.
  const catalogStream = await until('catalog\'s stream on NATS', 60_000, async () => {
    const info = await js.jsm.streams.info((nats as JetStreamConnection).names.stream('catalog')).catch(() => undefined);
    return info && info.state.messages > 0 ? info : undefined;
  });
  assert.ok(catalogStream.state.messages >= 600, `the seed went over JetStream (${catalogStream.state.messages} messages)`);

  const ids = await products(4, 200);
  for (let n = 0; n < 5; n++) shoppers.push(await newShopper(n));
  let stopping = false;
  const load = shoppers.map((s, n) => shop(s, [ids[n % ids.length] as string, ids[(n + 1) % ids.length] as string], n, () => stopping));
  const failure = Promise.all(load).then(() => 'load ended early' as const);
  const during = async (what: string, ms: number, check: () => boolean) => {
    const seen = await Promise.race([until(what, ms, () => (check() ? true : undefined)), failure]);
    if (seen !== true) throw new Error(`${seen} while waiting for ${what}`);
  };

  try {
    await during('10 checkouts', 90_000, () => checkouts() >= 10);
    const victim = await pidOf('payments-2');
    process.kill(victim, 'SIGKILL');
    await until('payments-2 to be back', 60_000, async () => {
      const info = await sys.service('payments-2');
      return info.state === 'ready' && info.pid !== victim ? true : undefined;
    });
    const afterKill = checkouts();
    await during('10 more checkouts after the kill', 90_000, () => checkouts() >= afterKill + 10);

    const pids = await Promise.all(['payments', 'payments-2', 'payments-3'].map(pidOf));
    const rollStarted = checkouts();
    const roll = await http<{ steps: { name: string; pidBefore: number; pidAfter: number }[] }>(`${sys.controlUrl}/api/services/payments/rolling-restart`, { method: 'POST' });
    assert.equal(roll.status, 200, JSON.stringify(roll.body));
    assert.deepEqual(roll.body.steps.map((s) => s.pidBefore), pids);
    for (const step of roll.body.steps) assert.notEqual(step.pidAfter, step.pidBefore, `${step.name} runs a new process`);
    assert.ok(checkouts() > rollStarted, 'checkouts went on during the rolling restart');
    const afterRoll = checkouts();
    await during('5 more checkouts after the rolling restart', 60_000, () => checkouts() >= afterRoll + 5);
  } finally {
    stopping = true;
    await Promise.allSettled(load);
  }
  await Promise.all(load);
  // A checkout the client saw fail is allowed (its order, if any, is checked below like the others); none may be
  // payments' doing: a payments instance going away only delays sagas, it never reaches the shopper.
  if (failed.length > 0) console.log(`checkouts the client saw fail (after 3 attempts):\n  ${failed.join('\n  ')}`);
  assert.deepEqual(failed.filter((f) => /payments/i.test(f)), [], 'no checkout failed because of payments');
  assert.ok(placed.length >= 25, `${placed.length} checkouts succeeded (${failed.length} failed)`);
  passed = true;
  await checkInvariants();
  await checkEvents();
});

test('on JetStream too, a checkout is one trace: gateway to the card network, and on through the events', { timeout: 180_000 }, async () => {
  const sys = system as RunningSystem;
  const shopper = shoppers[0] as Shopper;
  const [productId] = [...initialStock.keys()];
  const filled = await http(api(`/api/cart/items/${productId}`), { method: 'PUT', body: { quantity: 1 }, token: shopper.token });
  assert.equal(filled.status, 200);
  const res = await http<{ orderId: string; status: string }>(api('/api/checkout'), {
    method: 'POST',
    token: shopper.token,
    headers: { 'idempotency-key': `trace-${RUN}`, 'if-match': filled.etag ?? '' },
    body: { shippingAddress: address, card: { number: APPROVE, expMonth: 12, expYear: 2035, cvc: '123' } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const spans = await checkoutTrace(sys.controlUrl, res.body.orderId);
  // notifications and cart take orders' events from JetStream: their spans' parents came in the NATS header.
  for (const service of ['notifications', 'cart']) {
    assert.ok(spans.some((s) => s.service === service && s.kind === 4 && s.attributes['messaging.system'] === 'nats'), `${service} consumed over NATS, in the trace`);
  }
  // reports (a replayable read model: always the producers' HTTP feeds) takes its events in batches: one CONSUMER span per event.
  assert.ok(spans.some((s) => s.service === 'reports' && s.kind === 4 && typeof s.attributes['messaging.batch.message_count'] === 'number'), 'reports\' batch consumption is in the trace');
  // The relay's publish to NATS (CLIENT send) hangs under the PRODUCER span of the outbox write; cart's Redis calls are spans too.
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const sends = spans.filter((s) => s.kind === 2 && s.attributes['messaging.operation.type'] === 'send');
  assert.ok(sends.some((s) => s.service === 'orders'), 'orders\' publish to NATS is in the trace');
  for (const s of sends) assert.equal(byId.get(s.parentSpanId as string)?.kind, 3, `${s.service} "${s.name}" hangs under a PRODUCER span`);
  assert.ok(spans.some((s) => s.service === 'cart' && s.kind === 2 && s.attributes['db.system.name'] === 'redis'), 'cart\'s Redis calls are in the trace');
  // The launcher's Events page reads the same dead-letter stream the services write (none here).
  const dead = await http<{ stream: string; deadLetters: unknown[] }>(`${sys.controlUrl}/api/dead-letters`);
  assert.equal(dead.status, 200, JSON.stringify(dead.body));
  assert.equal(dead.body.stream, `${STREAM_PREFIX}_BAZAAR_DEAD_LETTERS`);
  assert.deepEqual(dead.body.deadLetters, []);
});

/** The shopping flow's invariants, over every order of every shopper — also any the client never heard of. */
async function checkInvariants(): Promise<void> {
  const committed = new Map<string, number>();
  const reserved = new Map<string, number>();
  for (const shopper of shoppers) {
    // Order history is paged (issue 11): read every page (bounded).
    const known = new Set<string>();
    let cursor: string | null = null;
    for (let page = 1; ; page++) {
      assert.ok(page <= 50, `${shopper.email}'s order history ends within 50 pages`);
      const list: { status: number; body: { items: { id: string }[]; nextCursor?: string | null } } = await http(api(`/api/orders?limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`), { token: shopper.token });
      assert.equal(list.status, 200);
      for (const o of list.body.items) known.add(o.id);
      cursor = list.body.nextCursor ?? null;
      if (cursor === null) break;
    }
    for (const p of placed.filter((x) => x.shopper === shopper)) assert.ok(known.has(p.orderId), `order ${p.orderId}, which the client saw succeed, exists`);
    let confirmed = 0;
    for (const orderId of known) {
      const order = await finalOrder(shopper.token, orderId);
      const seen = placed.find((p) => p.orderId === orderId);
      const pay = await http<{ status: string }>(`${url.payments}/internal/payments/${orderId}`, { headers: internal('payments') });
      const psp = await http<{ items: { captures: number }[] }>(`${url['psp-sim']}/admin/authorizations?idempotencyKey=${orderId}`);
      const captures = psp.body.items.reduce((sum, a) => sum + a.captures, 0);
      const reservation = await http<{ status: string; items: { productId: string; quantity: number }[] }>(`${url.inventory}/internal/inventory/reservations/${orderId}`, { headers: internal('inventory') });
      if (order.status === 'CONFIRMED') {
        confirmed += 1;
        assert.equal(pay.body.status, 'CAPTURED', `confirmed order ${orderId} is captured`);
        assert.equal(captures, 1, `confirmed order ${orderId}: money moved exactly once at the PSP`);
        assert.equal(reservation.body.status, 'COMMITTED', `confirmed order ${orderId} has committed stock`);
        for (const i of reservation.body.items) committed.set(i.productId, (committed.get(i.productId) ?? 0) + i.quantity);
      } else {
        assert.equal(order.status, 'CANCELLED', `order ${orderId} ends CONFIRMED or CANCELLED`);
        if (seen) assert.equal(seen.card, DECLINE, `only declined cards cancel here; ${orderId}: ${order.reason ?? ''}`);
        assert.notEqual(pay.body.status, 'CAPTURED', `cancelled order ${orderId} is not captured`);
        assert.equal(captures, 0, `cancelled order ${orderId}: no money moved`);
        if (reservation.status === 200) assert.equal(reservation.body.status, 'RELEASED', `cancelled order ${orderId} released its stock`);
      }
      if (reservation.status === 200 && reservation.body.status === 'RESERVED') {
        for (const i of reservation.body.items) reserved.set(i.productId, (reserved.get(i.productId) ?? 0) + i.quantity);
      }
    }
    // One email per order, confirmed or cancelled, each naming its order (notifications consumes over JetStream).
    const mails = await until(`${known.size} emails to ${shopper.email}`, 60_000, async () => {
      const res = await http<{ messages: { subject: string; text: string }[] }>(`${url['mail-sink']}/api/messages?to=${encodeURIComponent(shopper.email)}`);
      return (res.body.messages ?? []).length >= known.size ? res.body.messages : undefined;
    });
    assert.equal(mails.length, known.size, `exactly one email per order to ${shopper.email}`);
    assert.equal(mails.filter((m) => /confirmed/i.test(m.subject)).length, confirmed);
    for (const orderId of known) assert.equal(mails.filter((m) => m.text.includes(orderId.slice(0, 8))).length, 1, `one email about ${orderId}`);
  }
  for (const [productId, initial] of initialStock) {
    const available = (await http<{ available: number }>(api(`/api/inventory/${productId}`))).body.available;
    assert.equal(available + (committed.get(productId) ?? 0) + (reserved.get(productId) ?? 0), initial, `stock of ${productId} is conserved`);
  }
}

/** Every outbox event is in its producer's stream exactly once, every durable consumer has caught up, nothing was dead-lettered. */
async function checkEvents(): Promise<void> {
  const names = (nats as JetStreamConnection).names;
  const relayed: string[] = [];
  for (const source of ['catalog', 'inventory', 'orders', 'payments']) {
    const outbox: string[] = [];
    for (let after = 0; ; ) {
      const page = await http<{ events: { id: string }[]; next: number }>(`${url[source]}/internal/events?after=${after}&limit=500`, { headers: internal(source) });
      outbox.push(...page.body.events.map((e) => e.id));
      if (page.body.events.length === 0) break;
      after = page.body.next;
    }
    // A relay killed holding a lease delays its rows by up to the lease (30 s) until another instance takes over.
    const stream = await until(`the ${source} stream to hold all ${outbox.length} outbox events`, 60_000, async () => {
      const info = await js.jsm.streams.info(names.stream(source));
      return info.state.messages >= outbox.length ? info.state : undefined;
    });
    const inStream: string[] = [];
    for (let seq = stream.first_seq; seq <= stream.last_seq; seq++) {
      const msg = await js.jsm.streams.getMessage(names.stream(source), { seq });
      if (msg) inStream.push(msg.json<{ id: string }>().id);
    }
    assert.equal(new Set(inStream).size, inStream.length, `no event twice in the ${source} stream`);
    assert.deepEqual([...inStream].sort(), [...outbox].sort(), `the ${source} stream holds exactly its outbox`);
    relayed.push(`${source} ${inStream.length}`);
  }
  for (const [source, consumer] of [['catalog', 'inventory'], ['orders', 'cart'], ['orders', 'notifications']] as const) {
    await until(`${consumer} to have handled every ${source} event`, 60_000, async () => {
      const info = await js.jsm.consumers.info(names.stream(source), names.durable(consumer));
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    });
  }
  const dead = await js.jsm.streams.info(names.deadLetterStream).then((i) => i.state.messages, () => 0);
  assert.equal(dead, 0, 'no dead letters');
  console.log(`infra e2e: ${placed.length} checkouts (${placed.filter((p) => p.card === DECLINE).length} with a declined card), ${failed.length} failed; events per stream: ${relayed.join(', ')}`);
}
