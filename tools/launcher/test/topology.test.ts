// The topology's edges and node states, from spans as the collector stores them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edgesFrom, failed, placeLabel, topologySvg, type LabelBox, type NodeState } from '../src/dashboard/topology.ts';
import type { StoredSpan } from '../src/telemetry/store.ts';

const SERVER = 1;
const CLIENT = 2;
const PRODUCER = 3;
const CONSUMER = 4;
const ERROR = 2;
let next = 0;

function span(s: Partial<StoredSpan> & Pick<StoredSpan, 'service' | 'kind'>): StoredSpan {
  next += 1;
  const start = 1_000_000 + next;
  return {
    traceId: 'a'.repeat(32),
    spanId: next.toString(16).padStart(16, '0'),
    parentSpanId: null,
    instance: null,
    name: 'span',
    start,
    end: start + 10,
    durationMs: 10,
    status: 0,
    statusMessage: null,
    orderId: null,
    route: null,
    httpStatus: null,
    attributes: {},
    ...s,
  };
}

/** orders' CLIENT span of a call to payments that got `httpStatus` (null: no answer), with this span status. */
const call = (httpStatus: number | null, status = 0) =>
  span({ service: 'orders', kind: CLIENT, name: 'POST payments', status, httpStatus, attributes: { 'peer.service': 'payments', ...(httpStatus === null ? {} : { 'http.response.status_code': httpStatus }) } });

const nodes: NodeState[] = ['gateway', 'orders', 'payments', 'psp-sim', 'notifications'].map((name) => ({ name, state: 'ready', instances: 1, ready: 1 }));
const stateOf = (svg: string, service: string) => new RegExp(`data-service="${service}" data-state="([a-z]+)"`).exec(svg)?.[1];

test('a 4xx answered by design is no failure of the edge, even where the span is marked an error (OpenTelemetry marks CLIENT spans with a 4xx so)', () => {
  // Declines (402), a conflict the saga resolves (409), a reference not there yet (404): a healthy payments.
  const spans = [call(201), call(402, ERROR), call(409, ERROR), call(404, ERROR), call(200)];
  const edges = edgesFrom(spans, 60_000);
  const edge = edges.find((e) => e.from === 'orders' && e.to === 'payments');
  assert.ok(edge);
  assert.equal(edge.count, 5);
  assert.equal(edge.errors, 0);
  const svg = topologySvg(nodes, edges);
  assert.equal(stateOf(svg, 'payments'), 'up', 'payments is not degraded by its business answers');
  assert.match(svg, /data-edge="orders-payments" data-error-rate="0\.000"/);
});

test('5xx answers, calls that got no answer (refused, timed out) and failed event handlers are failures', () => {
  assert.equal(failed(call(503, ERROR)), true, 'a 5xx');
  assert.equal(failed(call(500)), true, 'a 5xx, even on a span nobody marked');
  assert.equal(failed(call(null, ERROR)), true, 'no answer: refused, reset or timed out');
  assert.equal(failed(call(null)), false);
  assert.equal(failed(call(402, ERROR)), false, 'a decline');
  // A SERVER span under a SERVER span of another service (the gateway's proxy): its own status code decides.
  const root = span({ service: 'gateway', kind: SERVER, name: 'GET /api/payments' });
  const callee = (code: number) => span({ service: 'payments', kind: SERVER, parentSpanId: root.spanId, httpStatus: code });
  const producer = span({ service: 'orders', kind: PRODUCER, name: 'publish orders.order-confirmed' });
  const consumed = (status: number) => span({ service: 'notifications', kind: CONSUMER, parentSpanId: producer.spanId, status, attributes: { 'messaging.destination.name': 'orders' } });
  const edges = edgesFrom([root, callee(404), callee(502), producer, consumed(0), consumed(ERROR)], 60_000);
  assert.deepEqual(
    edges.map((e) => [`${e.from}-${e.to}`, e.kind, e.count, e.errors]),
    [
      ['gateway-payments', 'call', 2, 1],
      ['orders-notifications', 'event', 2, 1],
    ],
  );
  const svg = topologySvg(nodes, edges);
  assert.equal(stateOf(svg, 'payments'), 'degraded', 'half its answers were 5xx');
  assert.equal(stateOf(svg, 'notifications'), 'degraded', 'half its handling failed');
});

test('calls refused before their callee first came up are start-up, not failures: a fresh system is not drawn amber', () => {
  // reports probes payments' feed while payments still starts (CI: payments drawn amber for a minute after start).
  const readyAt = 1_000_000 + next + 3;
  const early = [call(null, ERROR), call(null, ERROR)];
  next = readyAt - 1_000_000 + 10;
  const late = [call(200), call(null, ERROR)];
  const known = new Map<string, number | null>([['payments', readyAt], ['orders', readyAt - 50]]);
  const edge = (spans: StoredSpan[], firstReady?: Map<string, number | null>) => edgesFrom(spans, 60_000, firstReady).find((e) => e.to === 'payments');
  assert.deepEqual(edge([...early, ...late], known)?.errors, 1, 'the refusal after payments was up still counts');
  assert.deepEqual(edge([...early, ...late], known)?.count, 2, 'the two refused before it was up are left out');
  assert.deepEqual(edge(early, new Map([['payments', null]])), undefined, 'a service that never came up yet: nothing to blame it for');
  assert.equal(edge([...early, ...late])?.errors, 3, 'a callee the launcher does not run (an outside PSP, an SMTP server) is always blamed');
  assert.equal(stateOf(topologySvg(nodes, edgesFrom([...early, call(200)], 60_000, known)), 'payments'), 'up');
});

test('failed calls a service made while it was itself still starting are start-up too; once it is up they count', () => {
  // search's readiness asks inventory's feed while search starts; on a busy machine those calls time out (CI).
  const probe = (status: number) => span({ service: 'search', kind: CLIENT, name: 'GET inventory', status, attributes: { 'peer.service': 'inventory' } });
  const early = [probe(ERROR), probe(ERROR)];
  const readyAt = 1_000_000 + next + 3;
  next = readyAt - 1_000_000 + 10;
  const late = [probe(0), probe(ERROR)];
  const known = new Map<string, number | null>([['inventory', readyAt - 100], ['search', readyAt]]);
  const edge = edgesFrom([...early, ...late], 60_000, known).find((e) => e.to === 'inventory');
  assert.deepEqual([edge?.count, edge?.errors], [2, 1], 'the two made while search started are left out; the failure after it was up counts');
  assert.equal(edgesFrom(early, 60_000, new Map([['inventory', readyAt - 100], ['search', null]])).length, 0, 'a caller not up yet: its failed calls blame nobody');
});

test("a call the caller's open breaker refused made no call: not on the edge (after start-up refusals it would draw a fresh callee amber)", () => {
  const early = Array.from({ length: 5 }, () => call(null, ERROR));
  const readyAt = 1_000_000 + next + 3;
  next = readyAt - 1_000_000 + 10;
  const refusedByBreaker = span({ service: 'orders', kind: CLIENT, name: 'POST payments', status: ERROR, attributes: { 'peer.service': 'payments', 'error.type': 'circuit_open' } });
  const known = new Map<string, number | null>([['payments', readyAt]]);
  const edge = edgesFrom([...early, refusedByBreaker, call(200)], 60_000, known).find((e) => e.to === 'payments');
  assert.deepEqual([edge?.count, edge?.errors], [1, 0]);
  assert.equal(stateOf(topologySvg(nodes, edgesFrom([...early, refusedByBreaker, call(200)], 60_000, known)), 'payments'), 'up');
});

test('two services linked both ways get two curves and two labels apart, not one drawn over the other', () => {
  const nodes: NodeState[] = ['catalog', 'search', 'inventory'].map((name) => ({ name, state: 'running', instances: 1, ready: 1 }));
  const edge = (from: string, to: string, kind: 'call' | 'event') => ({ from, to, kind, count: 60, errors: 0, perSecond: 1, errorRate: 0, p99Ms: 12 });
  const svg = topologySvg(nodes, [edge('search', 'catalog', 'call'), edge('catalog', 'search', 'event'), edge('catalog', 'inventory', 'event')]);
  const drawn = (from: string, to: string) => {
    const curve = new RegExp(`data-edge="${from}-${to}"[^>]*>(?:<title>[^<]*</title>)?<path d="([^"]+)"`).exec(svg);
    const label = new RegExp(`data-edge-label="${from}-${to}">(?:<title>[^<]*</title>)?<text x="([\\d.-]+)" y="([\\d.-]+)"`).exec(svg);
    assert.ok(curve && label, `edge ${from} → ${to} drawn and labelled`);
    return { d: curve[1] as string, x: Number(label[1]), y: Number(label[2]) };
  };
  const call = drawn('search', 'catalog');
  const events = drawn('catalog', 'search');
  assert.ok(Math.abs(call.y - events.y) >= 12, `labels a line apart (y ${call.y} and ${events.y})`);
  const startY = (d: string) => Number(/^M[\d.-]+,([\d.-]+)/.exec(d)?.[1]);
  const endY = (d: string) => Number(/([\d.-]+)$/.exec(d)?.[1]);
  assert.notEqual(startY(call.d), endY(events.d), 'the two curves do not coincide');
  const single = drawn('catalog', 'inventory');
  assert.equal(startY(single.d), 150, 'an edge without a reverse is drawn as before, from the middle of its node');
  assert.ok(svg.lastIndexOf('data-edge=') < svg.indexOf('data-edge-label='), 'every label is drawn after every curve, so no curve crosses a label out');
  assert.ok(svg.lastIndexOf('data-service=') < svg.indexOf('data-edge-label='), 'and after the services, so no service box cuts one off');
});

test('a label that would cover one placed before it moves down a line at a time; one clear of it stays', () => {
  const placed: LabelBox[] = [];
  assert.deepEqual(placeLabel(placed, 500, 400, 18), { x: 500, y: 400 });
  assert.deepEqual(placeLabel(placed, 520, 405, 18), { x: 520, y: 418 }, 'overlapping: one line down');
  assert.deepEqual(placeLabel(placed, 510, 400, 18), { x: 510, y: 439 }, 'past both');
  assert.deepEqual(placeLabel(placed, 700, 400, 18), { x: 700, y: 400 }, 'far enough to the side: stays');
  const crowded: LabelBox[] = Array.from({ length: 10 }, (_, i) => ({ x: 100, y: 100 + 13 * i, width: 100 }));
  assert.equal(placeLabel(crowded, 100, 100, 18).y, 152, 'gives up after four lines rather than wander off its curve');
});
