/**
 * Fixtures for the multi-instance tests: several saga runners ("instances",
 * each its own lease owner and card vault) over one real orders database, and
 * one fake remote world whose calls are recorded per order, so that two calls
 * for one order in flight at once (two drivers) are caught.
 */
import { AppError } from '@bazaar/kit';
import { testLogger } from '@bazaar/kit/testing';
import type { StoreDialect } from '@bazaar/store';
import { testLocation, type AfterHook } from '@bazaar/store/testing';
import { createCardVault, type CardVault } from '../src/domain/card-vault.ts';
import type { OrderRecord, OrderRepository, SagaRecord } from '../src/domain/model.ts';
import { createSagaRunner, type SagaRunner } from '../src/domain/runner.ts';
import type { InventoryPort, PaymentsPort, RetryPolicy } from '../src/domain/saga.ts';
import { openOrdersStore, orderRepository, type OrdersStore } from '../src/store/index.ts';
import { goodCard } from './helpers.ts';

export type RemoteOp = 'reserve' | 'commit' | 'release' | 'authorize' | 'capture' | 'void' | 'refund' | 'status';

export interface RemoteCall {
  instance: string;
  op: RemoteOp;
  orderId: string;
  /** When the call started (epoch ms). */
  at: number;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dead = () => new Error('the instance died (simulated crash)');

/**
 * The remote parties (inventory, payments) as every instance sees them. Calls
 * take `delayMs` and fail transiently at `failRate`; `hold()` makes one
 * operation wait until released (or until its instance is killed).
 */
export function createRemote(opts: { delayMs?: [number, number]; failRate?: number } = {}) {
  const [minDelay, maxDelay] = opts.delayMs ?? [1, 4];
  const calls: RemoteCall[] = [];
  const overlaps: string[] = [];
  const inFlight = new Map<string, string[]>();
  const holds = new Map<string, { opened: Promise<void>; open(): void }>();
  const failures = new Map<string, number>();
  const deaths = new Map<string, { died: Promise<never>; kill(): void; killed: boolean }>();

  function deathOf(instance: string) {
    let entry = deaths.get(instance);
    if (!entry) {
      let kill = () => {};
      const died = new Promise<never>((_, reject) => (kill = () => reject(dead())));
      died.catch(() => {});
      const made = { died, killed: false, kill: () => ((made.killed = true), kill()) };
      entry = made;
      deaths.set(instance, entry);
    }
    return entry;
  }

  async function call<T>(instance: string, op: RemoteOp, orderId: string, answer: T): Promise<T> {
    const death = deathOf(instance);
    if (death.killed) throw dead();
    const busy = inFlight.get(orderId) ?? [];
    if (busy.length > 0) overlaps.push(`${instance} called ${op} for ${orderId} while ${busy.join(', ')} was in flight`);
    const tag = `${instance}:${op}`;
    inFlight.set(orderId, [...busy, tag]);
    const record: RemoteCall = { instance, op, orderId, at: Date.now(), ok: false };
    calls.push(record);
    try {
      await Promise.race([sleep(minDelay + Math.random() * (maxDelay - minDelay)), death.died]);
      const hold = holds.get(`${op}:${orderId}`);
      if (hold) await Promise.race([hold.opened, death.died]);
      if (death.killed) throw dead();
      const failing = failures.get(`${op}:${orderId}`) ?? 0;
      if (failing > 0) failures.set(`${op}:${orderId}`, failing - 1);
      if (failing > 0 || Math.random() < (opts.failRate ?? 0)) throw new AppError({ code: 'UPSTREAM_UNAVAILABLE', status: 503, title: 'Unavailable', detail: `${op} is down (test)` });
      record.ok = true;
      return answer;
    } finally {
      const left = (inFlight.get(orderId) ?? []).filter((t, i, all) => t !== tag || all.indexOf(tag) !== i);
      if (left.length > 0) inFlight.set(orderId, left);
      else inFlight.delete(orderId);
    }
  }

  return {
    calls,
    overlaps,
    /** Make `op` for `orderId` wait until the returned function is called. */
    hold(op: RemoteOp, orderId: string): () => void {
      let open = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      const entry = { opened, open: () => (holds.delete(`${op}:${orderId}`), open()) };
      holds.set(`${op}:${orderId}`, entry);
      return entry.open;
    },
    /** Make the next `times` calls of `op` for `orderId` fail transiently. */
    fail(op: RemoteOp, orderId: string, times = 1): void {
      failures.set(`${op}:${orderId}`, times);
    },
    /** Release every hold (test cleanup). */
    openAll(): void {
      for (const hold of [...holds.values()]) hold.open();
    },
    /** The instance's calls in flight fail and new ones are refused, as when its process dies. */
    kill(instance: string): void {
      deathOf(instance).kill();
    },
    /** Successful calls for one order, in order, as `instance:op`. */
    done(orderId: string): string[] {
      return calls.filter((c) => c.orderId === orderId && c.ok).map((c) => `${c.instance}:${c.op}`);
    },
    portsFor(instance: string): { inventory: InventoryPort; payments: PaymentsPort } {
      return {
        inventory: {
          reserve: (req) => call(instance, 'reserve', req.orderId, { ok: true } as const),
          commit: (orderId) => call(instance, 'commit', orderId, 'committed' as const),
          release: (orderId) => call(instance, 'release', orderId, 'released' as const),
        },
        payments: {
          authorize: (req) => call(instance, 'authorize', req.orderId, { ok: true } as const),
          capture: (orderId) => call(instance, 'capture', orderId, undefined),
          void: (orderId) => call(instance, 'void', orderId, 'voided' as const),
          refund: (orderId) => call(instance, 'refund', orderId, undefined),
          status: (orderId) => call(instance, 'status', orderId, 'AUTHORIZED'),
        },
      };
    },
  };
}
export type Remote = ReturnType<typeof createRemote>;

/**
 * Wrap a repository so that it records when each method was called, can be
 * killed (every call then fails) or have its heartbeat stalled (lease renewals silently do nothing).
 */
function instrument(repo: OrderRepository) {
  const calledAt = new Map<string, number[]>();
  let killed = false;
  let stalled = false;
  const proxy = new Proxy(repo, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (killed) return Promise.reject(dead());
        const name = String(prop);
        if (stalled && name === 'renewLeases') return Promise.resolve();
        calledAt.set(name, [...(calledAt.get(name) ?? []), Date.now()]);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { repo: proxy, calledAt, kill: () => void (killed = true), stall: () => void (stalled = true) };
}

export function newOrder(id: string): OrderRecord {
  const total = { amount: 1000, currency: 'EUR' };
  return { id, userId: 'alice', email: 'alice@example.test', status: 'PENDING', items: [{ productId: 'p-mug', name: 'Blue Mug', quantity: 1, unitPrice: total, lineTotal: total }], total, reason: null, createdAt: new Date().toISOString() };
}

export function newSaga(orderId: string): SagaRecord {
  const now = Date.now();
  // A far deadline: these tests are about who drives a saga, not about timing out.
  return { orderId, step: 'RESERVING', deadlineAt: now + 60_000, nextAttemptAt: now, attempts: 0, lastError: null, reason: null, compensations: [], traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
}

export interface Instance {
  name: string;
  runner: SagaRunner;
  orders: OrderRepository;
  vault: CardVault;
  /** When this instance's sweeps asked for due sagas (epoch ms). */
  sweeps(): number[];
  /** How many times this instance tried to claim a saga. */
  claims(): number;
  /** How many times this instance called the repository's `method`. */
  calls(method: string): number;
  /** How many times its heartbeat renewed its leases. */
  renewals(): number;
  /** Accept a checkout here: order and saga created (claimed by this instance), card in its vault, saga kicked. */
  checkout(orderId: string): Promise<void>;
  /** Simulated crash: its store calls and remote calls fail from now on, nothing is released. */
  kill(): void;
  /** Simulated stall (a long pause, a slow database): its lease renewals stop reaching the store; all else works. */
  stallHeartbeat(): void;
}

/**
 * A database on `dialect` (a SQLite file, or a fresh PostgreSQL database) and
 * instances over it. On PostgreSQL instances alternate between two separately
 * opened stores (two connection pools, as two processes would have); on SQLite
 * they share one connection (two connections to one file in one process would
 * block each other's writers, which separate processes do not).
 */
export async function multiInstance(dialect: StoreDialect, t: AfterHook, opts: { leaseMs: number; remote?: Remote; now?: () => number }) {
  const where = await testLocation(dialect, 'orders', t, { file: true });
  const first = await openOrdersStore(where);
  const stores: OrdersStore[] = dialect === 'postgres' ? [first, await openOrdersStore(where)] : [first];
  const remote = opts.remote ?? createRemote();
  const instances: Instance[] = [];
  t.after(async () => {
    remote.openAll();
    await Promise.all(instances.map((i) => i.runner.stop()));
    for (const store of stores) await store.close();
  });

  return {
    db: first.db,
    remote,
    /** The setup's own repository (owner "setup"), for creating sagas no runner holds. */
    setup: orderRepository(first.db, { owner: 'setup', ms: opts.leaseMs }),
    instance(name: string, settings: { retry?: RetryPolicy; sweepMs?: number } = {}): Instance {
      const store = stores[instances.length % stores.length] as OrdersStore;
      const wrapped = instrument(orderRepository(store.db, { owner: name, ms: opts.leaseMs }));
      const vault = createCardVault();
      const ports = remote.portsFor(name);
      const runner = createSagaRunner({
        orders: wrapped.repo,
        ...ports,
        vault,
        logger: testLogger(),
        settings: { sweepMs: settings.sweepMs ?? 5, retry: settings.retry ?? { baseMs: 5, maxMs: 20 }, reservationTtlSeconds: 600 },
        ...(opts.now ? { now: opts.now } : {}),
      });
      const instance: Instance = {
        name,
        runner,
        orders: wrapped.repo,
        vault,
        sweeps: () => wrapped.calledAt.get('dueSagas') ?? [],
        claims: () => wrapped.calledAt.get('claimSaga')?.length ?? 0,
        calls: (method) => wrapped.calledAt.get(method)?.length ?? 0,
        renewals: () => wrapped.calledAt.get('renewLeases')?.length ?? 0,
        async checkout(orderId) {
          const created = await wrapped.repo.create({ order: newOrder(orderId), saga: newSaga(orderId), key: `key-${orderId}`, requestHash: 'h' });
          if (created !== 'created') throw new Error(`order ${orderId} not created: ${created}`);
          vault.put(orderId, goodCard);
          runner.kick(orderId);
        },
        kill() {
          wrapped.kill();
          remote.kill(name);
        },
        stallHeartbeat: () => wrapped.stall(),
      };
      instances.push(instance);
      return instance;
    },
    /** Who holds the saga and until when. */
    async lease(orderId: string): Promise<{ owner: string | null; until: number | null }> {
      const row = await first.db.selectFrom('sagas').select(['owner', 'lease_until']).where('order_id', '=', orderId).executeTakeFirstOrThrow();
      return { owner: row.owner, until: row.lease_until === null ? null : Number(row.lease_until) };
    },
  };
}
