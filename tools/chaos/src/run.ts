/**
 * One chaos round: start the system (embedded, or on private PostgreSQL,
 * Redis and NATS with infra), drive open-loop checkout load, inject the fault
 * schedule, let sagas settle, check the invariants. Used by `npm run chaos`
 * and by the short round in `npm test`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { portBaseFor, startSystem, until, type RunningSystem, type ServiceInfo } from '../../launcher/src/harness.ts';
import { call, percentile } from './http.ts';
import { createShoppers, startLoad, type ClientFigures, type JourneyRecord } from './load.ts';
import { checkInvariants, type InvariantResult } from './checker.ts';
import { REPLICATED, describeFault, planFaults, seeded, serviceOf, type Fault } from './faults.ts';
import { startFaultProxy, type FaultProxy } from './proxy.ts';
import { startPrivateInfra, type InfraServer } from './infra.ts';
import { journeyWaits, overLimitByFault, slowestJourneys, waitsOf, type FaultWindow, type SlowJourney } from './waits.ts';

export interface ChaosOptions {
  durationMs: number;
  /** Checkouts started per second (open loop). */
  rate: number;
  users: number;
  /** Share of checkouts paid with the declined test card (0..1). */
  declinedShare: number;
  infra: boolean;
  seed: number;
  /** Mean time between faults. */
  faultEveryMs: number;
  /** How long sagas, compensations and read models get to settle before the verdict. */
  settleTimeoutMs: number;
  /** orders' SAGA_DEADLINE_MS for the run. */
  sagaDeadlineMs: number;
  /**
   * Instances of every service that can scale (REPLICATED), as a Deployment's
   * replicas; kills and freezes then hit one instance. Default 1.
   */
  replicas?: number;
  portBase?: number;
  log: (line: string) => void;
}

export interface ChaosResult {
  options: ChaosOptions;
  faults: Fault[];
  /** What actually happened, with the time it was done. */
  applied: string[];
  invariants: InvariantResult[];
  figures: ClientFigures & {
    finals: number;
    confirmed: number;
    cancelled: number;
    gaveUp: number;
    /** Why journeys gave up (reason → count). */
    gaveUpReasons: [string, number][];
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    overDeadline: number;
    /** The same waits minus the time the gateway (the edge) was frozen or killed during each: reported beside the raw ones. */
    exEdge: { p99Ms: number; maxMs: number; overDeadline: number };
    /** Minus the time the gateway or orders (which alone holds the answer) was frozen or killed with no other instance, or PostgreSQL was restarting. */
    exPath: { p99Ms: number; maxMs: number; overDeadline: number };
  };
  /** The faults as they happened (applied → healed / answering again), load-relative in the report. */
  windows: FaultWindow[];
  /** When the load started (the schedule's zero). */
  loadStartedAt: number;
  slowest: SlowJourney[];
  /** The slowest once the gateway's and orders' down time is taken out: what is left to explain. */
  slowestExPath: SlowJourney[];
  /** Journeys over the deadline + 2 s, counted by each kind of fault active during their wait. */
  overByFault: [string, number][];
  /** Every ended journey (for --save). */
  all: SlowJourney[];
  ok: boolean;
  logDir: string;
}

/** Run one round; always stops what it started. */
export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const random = seeded(opts.seed);
  const replicas = opts.replicas ?? 1;
  /** With one instance of it, a frozen or killed gateway (or orders) leaves no way to an answer. */
  const alone = (target: string, service: string) => serviceOf(target) === service && replicas === 1;
  const work = mkdtempSync(join(tmpdir(), 'bazaar-chaos-'));
  const started = Date.now();
  const t = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
  const applied: string[] = [];
  const note = (line: string) => {
    applied.push(`${t()}  ${line}`);
    opts.log(`${t()}  ${line}`);
  };
  let infra: Awaited<ReturnType<typeof startPrivateInfra>> | undefined;
  let system: RunningSystem | undefined;
  let proxy: FaultProxy | undefined;
  const frozen = new Set<number>();
  const windows: FaultWindow[] = [];
  let loadStartedAt = 0;
  let finished = false;
  const timers: NodeJS.Timeout[] = [];
  let ok = false;
  try {
    if (opts.infra) {
      opts.log('starting private PostgreSQL, Redis and NATS JetStream');
      infra = await startPrivateInfra();
    }
    // The fault proxy sits between payments and psp-sim; it learns psp-sim's port once the system runs.
    const pspTarget = { host: '127.0.0.1', port: 1 };
    proxy = await startFaultProxy({ port: 0, target: pspTarget });
    opts.log(`starting the system${opts.infra ? ' on the private servers' : ' (embedded stores)'}`);
    system = await startSystem({
      portBase: opts.portBase ?? portBaseFor(7),
      dataDir: join(work, 'data'),
      logDir: join(work, 'logs'),
      readyTimeoutMs: 300_000,
      env: {
        BAZAAR_EDGE_OVERRIDES: `payments:PSP_SIM_URL=${proxy.url}`,
        MAIL_SINK_MAX_MESSAGES: '1000000',
        SAGA_DEADLINE_MS: String(opts.sagaDeadlineMs),
        // Well past the deadline: an intent this old has no checkout waiting for it.
        PAYMENTS_RECONCILE_AFTER_MS: String(opts.sagaDeadlineMs * 2 + 10_000),
        PAYMENTS_RECONCILE_INTERVAL_MS: '5000',
        ...(infra?.env ?? {}),
      },
      args: [...(opts.infra ? ['--infra'] : []), ...(replicas > 1 ? ['--scale', REPLICATED.map((name) => `${name}=${replicas}`).join(',')] : [])],
    });
    const services = await system.services();
    const urlOf = (name: string) => {
      const s = services.find((x) => x.name === name || x.name === `${name}-1`);
      if (!s) throw new Error(`no ${name} in the launcher's table`);
      return s.url;
    };
    const psp = new URL(urlOf('psp-sim'));
    pspTarget.port = Number(psp.port);
    const gatewayUrl = system.gatewayUrl;
    const gatewayUrls = services.filter((x) => serviceOf(x.name) === 'gateway').map((x) => x.url);

    // Setup: the admin, products with known stock, shoppers.
    // Ready processes may still be warming up (JWKS, feeds): setup calls are retried until they answer.
    const admin = { email: 'admin@bazaar.local', password: 'bazaar-admin-password', token: '' };
    admin.token = await until('the admin to log in', 60_000, async () => {
      const res = await call<{ accessToken?: string }>(`${gatewayUrl}/api/identity/login`, { method: 'POST', body: { email: admin.email, password: admin.password } });
      return res.status === 200 ? res.body.accessToken : undefined;
    });
    const adminToken = admin.token;
    const products = await until('the catalog to list products', 60_000, async () => {
      const res = await call<{ items?: { id: string }[] }>(`${gatewayUrl}/api/catalog/products?limit=8`);
      return res.status === 200 && res.body.items?.length ? res.body.items.map((p) => p.id) : undefined;
    });
    const perProduct = Math.max(20, Math.ceil(((opts.rate * opts.durationMs) / 1000 / products.length) * 0.8));
    const initialStock = new Map<string, number>();
    for (const id of products) {
      await until(`inventory to know product ${id}`, 30_000, async () => ((await call(`${gatewayUrl}/api/inventory/${id}`)).status === 200 ? true : undefined));
      await until(`the stock of ${id} to be set`, 60_000, async () => {
        const set = await call(`${gatewayUrl}/api/inventory/${id}`, { method: 'PUT', body: { available: perProduct }, token: adminToken });
        if (set.status >= 400 && set.status < 500) throw new Error(`setting the stock of ${id} answered ${set.status}: ${JSON.stringify(set.body)}`);
        return set.status === 200 ? true : undefined;
      });
      initialStock.set(id, perProduct);
    }
    const shoppers = await createShoppers(gatewayUrl, opts.users, randomBytes(4).toString('hex'));
    opts.log(`${products.length} products × ${perProduct} units, ${shoppers.length} shoppers; load ${opts.rate}/s for ${opts.durationMs / 1000} s`);

    // Load and faults.
    const faults = planFaults({ durationMs: opts.durationMs, everyMs: opts.faultEveryMs, infra: opts.infra, edge: true, random, replicas });
    const kills = new Map<string, number>();
    /** The pid of one instance (`orders`, `orders-2`) as the launcher's table has it now. */
    const pidOf = async (name: string): Promise<number | undefined> => {
      const s = (await (system as RunningSystem).services()).find((x: ServiceInfo) => x.name === name);
      return s?.pid;
    };
    const servers = new Map<string, InfraServer>((infra?.servers ?? []).map((s) => [s.name, s]));
    /** Until the killed service runs again under a new pid and is ready (polled; bounded by the run's end). */
    const untilBack = async (name: string, oldPid: number, window: FaultWindow): Promise<void> => {
      const giveUpAt = loadStartedAt + opts.durationMs + 120_000;
      while (Date.now() < giveUpAt && !finished) {
        const s = (await (system as RunningSystem).services().catch(() => [] as ServiceInfo[])).find((x: ServiceInfo) => x.name === name);
        if (s && s.pid !== oldPid && s.state === 'ready') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      window.to = Date.now();
      note(`${name} is back (down ${((window.to - window.from) / 1000).toFixed(1)} s)`);
    };
    const apply = async (f: Fault): Promise<void> => {
      switch (f.kind) {
        case 'kill': {
          const pid = await pidOf(f.target);
          if (!pid || frozen.has(pid)) return note(`skip kill -9 ${f.target} (not running or frozen)`);
          process.kill(pid, 'SIGKILL');
          kills.set(f.target, (kills.get(f.target) ?? 0) + 1);
          const window: FaultWindow = { label: `kill -9 ${f.target}`, from: Date.now(), to: Number.POSITIVE_INFINITY, edgeDown: alone(f.target, 'gateway'), ordersDown: alone(f.target, 'orders') };
          windows.push(window);
          note(`kill -9 ${f.target} (pid ${pid})`);
          return untilBack(f.target, pid, window);
        }
        case 'freeze': {
          const pid = await pidOf(f.target);
          if (!pid || frozen.has(pid)) return note(`skip SIGSTOP ${f.target} (not running or frozen)`);
          process.kill(pid, 'SIGSTOP');
          frozen.add(pid);
          const window: FaultWindow = { label: `SIGSTOP ${f.target}`, from: Date.now(), to: Number.POSITIVE_INFINITY, edgeDown: alone(f.target, 'gateway'), ordersDown: alone(f.target, 'orders') };
          windows.push(window);
          note(`SIGSTOP ${f.target} (pid ${pid}) for ${(f.forMs / 1000).toFixed(1)} s`);
          timers.push(
            setTimeout(() => {
              frozen.delete(pid);
              window.to = Date.now();
              try {
                process.kill(pid, 'SIGCONT');
                note(`SIGCONT ${f.target} (pid ${pid})`);
              } catch {
                /* gone meanwhile */
              }
            }, f.forMs),
          );
          return;
        }
        case 'edge': {
          (proxy as FaultProxy).set(f.mode);
          const window: FaultWindow = { label: describeFault(f).slice(10).replace(/ for [\d.]+ s$/, ''), from: Date.now(), to: Number.POSITIVE_INFINITY, edgeDown: false };
          windows.push(window);
          note(describeFault(f).slice(9));
          timers.push(
            setTimeout(() => {
              (proxy as FaultProxy).set({ kind: 'pass' });
              window.to = Date.now();
              note('payments → psp-sim: healed');
            }, f.forMs),
          );
          return;
        }
        case 'infra-restart': {
          const server = servers.get(f.target);
          if (!server) return;
          note(`restarting ${f.target}`);
          const window: FaultWindow = { label: `restart ${f.target}`, from: Date.now(), to: Number.POSITIVE_INFINITY, edgeDown: false, databaseDown: f.target === 'postgres' };
          windows.push(window);
          await server.restart();
          window.to = Date.now();
          return note(`${f.target} is back`);
        }
        default:
          return f satisfies never;
      }
    };
    loadStartedAt = Date.now();
    const load = startLoad({ gatewayUrls, rate: opts.rate, declinedShare: opts.declinedShare, products, shoppers, journeyTimeoutMs: Math.max(60_000, opts.sagaDeadlineMs * 4), random });
    for (const f of faults) timers.push(setTimeout(() => void apply(f).catch((error: unknown) => note(`fault failed: ${describeFault(f)}: ${String(error)}`)), f.atMs));
    await new Promise((r) => setTimeout(r, opts.durationMs));
    note('load stops; waiting for the journeys in flight');
    for (const timer of timers) clearTimeout(timer);
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    frozen.clear();
    proxy.set({ kind: 'pass' });
    for (const w of windows) if (w.to === Number.POSITIVE_INFINITY && !w.label.startsWith('kill')) w.to = Date.now();
    await load.stop();

    // Settle, then the verdict: checks are repeated until they hold or the settle time is up (read models and compensations catch up).
    note('settling');
    const input = {
      gatewayUrl,
      urls: { inventory: urlOf('inventory'), payments: urlOf('payments'), pspSim: urlOf('psp-sim'), notifications: urlOf('notifications'), mailSink: urlOf('mail-sink') },
      internalHeaders: (service: string) => (system as RunningSystem).callAs(service),
      admin,
      shoppers,
      journeys: load.journeys,
      initialStock,
    };
    const deadline = Date.now() + opts.settleTimeoutMs;
    let invariants: InvariantResult[] = [];
    for (;;) {
      try {
        invariants = await checkInvariants(input);
      } catch (error) {
        invariants = [{ name: 'the checker could read every service', checked: 1, violations: [String(error)] }];
      }
      if (invariants.every((i) => i.violations.length === 0) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    // No service may have exited on its own: restarts beyond the schedule's kills are crashes.
    const after = await system.services();
    const crashes: string[] = [];
    for (const s of after) {
      const expected = kills.get(s.name) ?? 0;
      if (s.restarts > expected) crashes.push(`${s.name}: ${s.restarts} restarts, ${expected} kills`);
      if (s.state !== 'ready') crashes.push(`${s.name} is ${s.state}`);
    }
    invariants.push({ name: 'no service exited on its own (restarts = kills)', checked: after.length, violations: crashes });

    for (const w of windows) if (w.to === Number.POSITIVE_INFINITY) w.to = Date.now();
    const figures = clientFigures(load.figures, load.journeys, windows, opts.sagaDeadlineMs);
    ok = invariants.every((i) => i.violations.length === 0);
    const slowest = slowestJourneys(load.journeys, windows, loadStartedAt, 12);
    const slowestExPath = slowestJourneys(load.journeys, windows, loadStartedAt, 8, 'waitExPathMs').filter((j) => j.waitExPathMs > opts.sagaDeadlineMs + 2000);
    const all = journeyWaits(load.journeys, windows, loadStartedAt);
    const overByFault = overLimitByFault(all, opts.sagaDeadlineMs + 2000);
    return { options: opts, faults, applied, invariants, figures, windows, loadStartedAt, slowest, slowestExPath, overByFault, all, ok, logDir: join(work, 'logs') };
  } finally {
    finished = true;
    for (const timer of timers) clearTimeout(timer);
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    await system?.stop().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await infra?.destroy().catch(() => undefined);
    // Logs are kept when something was violated, for the post-mortem.
    if (ok) rmSync(work, { recursive: true, force: true });
    else rmSync(join(work, 'data'), { recursive: true, force: true });
  }
}

function clientFigures(base: ClientFigures, journeys: JourneyRecord[], windows: FaultWindow[], deadlineMs: number): ChaosResult['figures'] {
  const { raw: waits, exEdge, exPath } = waitsOf(journeys, windows);
  const reasons = new Map<string, number>();
  for (const j of journeys) if (j.gaveUp) reasons.set(j.gaveUp, (reasons.get(j.gaveUp) ?? 0) + 1);
  return {
    ...base,
    finals: waits.length,
    confirmed: journeys.filter((j) => j.final?.status === 'CONFIRMED').length,
    cancelled: journeys.filter((j) => j.final?.status === 'CANCELLED').length,
    gaveUp: journeys.filter((j) => j.gaveUp).length,
    gaveUpReasons: [...reasons],
    p50Ms: percentile(waits, 50),
    p99Ms: percentile(waits, 99),
    maxMs: waits.at(-1) ?? 0,
    overDeadline: waits.filter((w) => w > deadlineMs + 2000).length,
    exEdge: { p99Ms: percentile(exEdge, 99), maxMs: exEdge.at(-1) ?? 0, overDeadline: exEdge.filter((w) => w > deadlineMs + 2000).length },
    exPath: { p99Ms: percentile(exPath, 99), maxMs: exPath.at(-1) ?? 0, overDeadline: exPath.filter((w) => w > deadlineMs + 2000).length },
  };
}
