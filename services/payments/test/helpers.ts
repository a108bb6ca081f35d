import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServiceClient, type ServiceApp } from '@bazaar/kit';
import { testLogger, callAs, testCredentials } from '@bazaar/kit/testing';
import type { PspAuthorizationRecord, PspConfig } from '@bazaar/contracts/psp';
import type { AnyCloudEvent } from '@bazaar/messaging';
import { buildApp } from '../src/app.ts';
import { openPaymentsStore, paymentRepository, type PaymentsStore } from '../src/store/index.ts';
import { createPayments } from '../src/domain/payments.ts';
import { pspGateway } from '../src/upstream/psp-sim.ts';

export const internal = callAs('payments', 'orders');

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A real psp-sim, as its own process (a service never imports another's source), on a free port. */
export interface PspSim {
  url: string;
  setConfig(config: PspConfig): Promise<void>;
  /** What the network recorded under one Idempotency-Key (payments uses the orderId). */
  authorizations(idempotencyKey: string): Promise<PspAuthorizationRecord[]>;
  /** Call the PSP directly, bypassing payments. */
  post(path: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function startPspSim(): Promise<PspSim> {
  const child: ChildProcess = spawn(process.execPath, ['services/psp-sim/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', PSP_LATENCY_MS: '0', PSP_FAILURE_RATE: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    // Killed on failure: a live child would keep the test file's process from exiting (a hang, not a failure).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('psp-sim did not log "listening" within 120 s'));
    }, 120_000);
    child.once('exit', (code) => reject(new Error(`psp-sim exited with ${code} before listening`)));
    // Keep reading stdout for the child's whole life, so its logging never blocks on a full pipe.
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; address?: string };
      if (entry.msg === 'listening' && entry.address) {
        clearTimeout(timer);
        resolve(entry.address);
      }
    });
  });
  return {
    url,
    async setConfig(config) {
      const res = await fetch(`${url}/admin/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(config) });
      if (res.status !== 200) throw new Error(`psp-sim config refused: ${res.status}`);
    },
    async authorizations(key) {
      const res = await fetch(`${url}/admin/authorizations?idempotencyKey=${encodeURIComponent(key)}`);
      return ((await res.json()) as { items: PspAuthorizationRecord[] }).items;
    },
    post: (path) => fetch(`${url}${path}`, { method: 'POST' }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A port nothing listens on: bind to 0, note the port, close. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** A payments app over an in-memory store (or the given one), calling the PSP at `pspUrl`. */
export async function startPayments(opts: { pspUrl: string; timeoutMs?: number; store?: PaymentsStore }) {
  const store = opts.store ?? (await openPaymentsStore({ dataDir: '', inMemory: true }));
  const psp = createServiceClient({ name: 'psp-sim', baseUrl: opts.pspUrl, timeoutMs: opts.timeoutMs ?? 15_000 });
  const app = buildApp({ store, logger: testLogger(), psp, credentials: testCredentials('payments'), defaultMetrics: false });
  return {
    app,
    store,
    /** The domain over the same store and PSP client, for what no route triggers (the reconciliation sweep). */
    payments: createPayments({ payments: paymentRepository(store.db), psp: pspGateway(psp) }),
    /** Close the app and its PSP client, and the store unless `keepStore` (another instance goes on with it). */
    async close(closeOpts: { keepStore?: boolean } = {}) {
      await app.close();
      await psp.close();
      if (!closeOpts.keepStore) await store.close();
    },
  };
}

export const card = (number = '4242424242424242') => ({ number, expMonth: 12, expYear: 2099, cvc: '123' });

let orders = 0;
/** A fresh order id (also the PSP's Idempotency-Key, so unique per run). */
export const newOrderId = () => `order-${process.pid}-${Date.now()}-${++orders}`;

export function authorize(app: ServiceApp, opts: { orderId: string; amount?: number; currency?: string; number?: string }) {
  return app.inject({
    method: 'POST',
    url: '/internal/payments/authorize',
    headers: internal,
    payload: { orderId: opts.orderId, amount: { amount: opts.amount ?? 4999, currency: opts.currency ?? 'EUR' }, card: card(opts.number) },
  });
}

export const act = (app: ServiceApp, orderId: string, action: 'capture' | 'void' | 'refund') =>
  app.inject({ method: 'POST', url: `/internal/payments/${encodeURIComponent(orderId)}/${action}`, headers: internal });

/** Every event in payments' outbox, read through the feed as a consumer would. */
export async function outbox(app: ServiceApp): Promise<AnyCloudEvent[]> {
  const res = await app.inject({ url: '/internal/events?after=0&limit=500', headers: callAs('payments') }); // the operator reads feeds; orders may not
  if (res.statusCode !== 200) throw new Error(`feed answered ${res.statusCode}`);
  return (res.json() as { events: AnyCloudEvent[] }).events;
}
