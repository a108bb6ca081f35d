/**
 * What a checkout's trace must look like, as the launcher's collector stored
 * it: one trace from the gateway through orders, cart, inventory, payments
 * and the card network, and on through the events into notifications,
 * reports and search, every span hanging from a parent in the same trace.
 */
import assert from 'node:assert/strict';
import { until } from '../../tools/launcher/src/harness.ts';
import { http } from './client.ts';

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: number;
  status: number;
  orderId: string | null;
  attributes: Record<string, unknown>;
}

const SERVER = 1;
const CLIENT = 2;
const PRODUCER = 3;
const CONSUMER = 4;
const SYNC = ['gateway', 'orders', 'cart', 'inventory', 'payments', 'psp-sim'];
const FROM_EVENTS = ['notifications', 'reports', 'search'];

/** Wait for the checkout's trace to hold every service's spans, then check its shape; returns its spans. */
export async function checkoutTrace(controlUrl: string, orderId: string, timeoutMs = 90_000): Promise<Span[]> {
  const spans = await until(`a trace of order ${orderId} with spans of ${[...SYNC, ...FROM_EVENTS].join(', ')}, every parent span among them`, timeoutMs, async () => {
    const res = await http<{ spans: Span[] }>(`${controlUrl}/api/orders/${orderId}`);
    const services = new Set(res.body.spans?.map((s) => s.service));
    const consumers = new Set(res.body.spans?.filter((s) => s.kind === CONSUMER).map((s) => s.service));
    // Each service exports its spans in its own batches (up to a second apart): a service's first spans can be in
    // while the CLIENT span its callee's span hangs from is still queued. Complete means every named parent is in too.
    const ids = new Set(res.body.spans?.map((s) => s.spanId));
    const orphans = (res.body.spans ?? []).filter((s) => s.parentSpanId !== null && !ids.has(s.parentSpanId));
    const missing = [...SYNC.filter((s) => !services.has(s)), ...FROM_EVENTS.filter((s) => !consumers.has(s)).map((s) => `${s} (consumer)`)];
    if (missing.length === 0 && orphans.length === 0) return res.body.spans;
    // Thrown, not returned: until() keeps the last one, so a timeout says what was still missing.
    throw new Error(
      `${res.body.spans?.length ?? 0} spans so far; missing ${missing.join(', ') || 'no service'}; ${orphans.length} spans whose parent is not in: ${orphans
        .slice(0, 5)
        .map((s) => `${s.service} "${s.name}" (parent ${s.parentSpanId})`)
        .join(', ')}`,
    );
  });
  const traces = new Set(spans.map((s) => s.traceId));
  assert.equal(traces.size, 1, `the checkout is one trace, got ${[...traces].join(', ')}`);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const roots = spans.filter((s) => s.parentSpanId === null);
  assert.equal(roots.length, 1, `one root span, got ${roots.map((r) => `${r.service} ${r.name}`).join(', ')}`);
  const root = roots[0] as Span;
  assert.equal(root.service, 'gateway');
  assert.equal(root.kind, SERVER);
  assert.match(root.name, /^POST \/api\/checkout/);
  for (const s of spans) {
    if (s === root) continue;
    assert.ok(byId.has(s.parentSpanId as string), `${s.service} "${s.name}" names a parent (${s.parentSpanId}) that is in the trace`);
  }
  const parentOf = (s: Span) => byId.get(s.parentSpanId as string) as Span;
  const server = (service: string) => spans.filter((s) => s.service === service && s.kind === SERVER);
  // orders' checkout is the gateway's child; the others are called by a CLIENT span of their caller.
  const checkout = server('orders').find((s) => s.name === 'POST /api/checkout');
  assert.ok(checkout, 'orders has the checkout server span');
  assert.equal(parentOf(checkout).spanId, root.spanId);
  for (const [callee, caller] of [['cart', 'orders'], ['inventory', 'orders'], ['payments', 'orders'], ['psp-sim', 'payments']] as const) {
    const calls = server(callee).filter((s) => parentOf(s).service === caller);
    assert.ok(calls.length > 0, `${callee} has a server span called by ${caller}`);
    for (const s of calls) assert.equal(parentOf(s).kind, CLIENT, `${callee}'s "${s.name}" hangs from a CLIENT span of ${caller}`);
  }
  const steps = spans.filter((s) => s.service === 'orders' && s.name.startsWith('saga ') && s.orderId === orderId);
  assert.ok(steps.length >= 3, `saga steps as spans with the order id, got ${steps.map((s) => s.name).join(', ')}`);
  for (const service of FROM_EVENTS) {
    const consumed = spans.filter((s) => s.service === service && s.kind === CONSUMER);
    for (const s of consumed) {
      const producer = parentOf(s);
      assert.equal(producer.kind, PRODUCER, `${service}'s "${s.name}" is a child of a PRODUCER span`);
      assert.notEqual(producer.service, service);
    }
  }
  return spans;
}
