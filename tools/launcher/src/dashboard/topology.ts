/**
 * The live topology: services as nodes, calls and event flows as edges,
 * computed from the spans of the last minute. An edge's numbers are its
 * rate, error rate and p99 latency; a node is red when an instance is not
 * running (stopped, frozen, crashed) and amber when calls into it fail.
 * Calls that got no answer from a service the launcher had not yet seen
 * ready (reports asking orders' feed while orders still starts), or that a
 * service made while it was itself still starting (search's readiness asking
 * inventory's feed, on a machine where thirteen processes start at once, and
 * timing out), are start-up, not traffic: they are left out, so a fresh
 * system is not drawn amber.
 * Calls the caller's own circuit breaker refused (`error.type` circuit_open)
 * made no call at all: they are left out too (the failures that opened the
 * breaker are on the edge already; right after start-up, those were the
 * refusals above).
 */
import type { StoredSpan } from '../telemetry/store.ts';
import { esc, ms } from './layout.ts';

export interface Edge {
  from: string;
  to: string;
  kind: 'call' | 'event';
  count: number;
  errors: number;
  perSecond: number;
  errorRate: number;
  p99Ms: number;
}

const SERVER = 1;
const CLIENT = 2;
const CONSUMER = 4;

function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] as number;
}

/**
 * Whether a span counts as a failure on its edge. An HTTP answer decides by
 * its status: 5xx is the callee failing; a 4xx is an answer given by design
 * (a declined card, an unknown cart, a conflict the caller resolves), so the
 * edge stays healthy — whatever the span's status says (OpenTelemetry's HTTP
 * conventions mark a CLIENT span with a 4xx as an error, a SERVER span not).
 * Without an HTTP status, the span's error status decides: no answer at all
 * (refused, reset, timed out, circuit open) or a consumer whose handler threw.
 */
export function failed(s: StoredSpan): boolean {
  const attr = s.attributes['http.response.status_code'];
  const code = s.httpStatus ?? (typeof attr === 'number' ? attr : typeof attr === 'string' && /^\d+$/.test(attr) ? Number(attr) : null);
  if (code !== null && code > 0) return code >= 500;
  return s.status === 2;
}

/**
 * Edges from spans observed over `windowMs`. `firstReady` names the services
 * the launcher runs, each with when it first answered ready (null: not yet);
 * a failed call into one of them made before then, or made by one of them
 * before then, is left out.
 */
export function edgesFrom(spans: StoredSpan[], windowMs: number, firstReady: ReadonlyMap<string, number | null> = new Map()): Edge[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  /** Whether `service` (one the launcher runs) had not yet first come up at `time`. */
  const startingAt = (service: string, time: number): boolean => {
    const readyAt = firstReady.get(service);
    return readyAt !== undefined && (readyAt === null || time < readyAt);
  };
  const acc = new Map<string, { from: string; to: string; kind: 'call' | 'event'; durations: number[]; errors: number }>();
  const add = (from: string, to: string, kind: 'call' | 'event', duration: number, error: boolean) => {
    if (from === to) return;
    const key = `${from}>${to}>${kind}`;
    const e = acc.get(key) ?? { from, to, kind, durations: [], errors: 0 };
    e.durations.push(duration);
    if (error) e.errors += 1;
    acc.set(key, e);
  };
  for (const s of spans) {
    if (s.kind === CLIENT && typeof s.attributes['peer.service'] === 'string') {
      // The caller's view: it sees timeouts and refused connections that the callee never records.
      if (s.attributes['error.type'] === 'circuit_open') continue;
      const to = s.attributes['peer.service'];
      const error = failed(s);
      if (error && (startingAt(to, s.start) || startingAt(s.service, s.start))) continue;
      add(s.service, to, 'call', s.durationMs, error);
    } else if (s.kind === CONSUMER) {
      const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      const source = parent?.service ?? (typeof s.attributes['messaging.destination.name'] === 'string' ? s.attributes['messaging.destination.name'] : undefined);
      if (source) add(source, s.service, 'event', s.durationMs, failed(s));
    } else if (s.kind === SERVER && s.parentSpanId) {
      // Callers without a CLIENT span of their own (the gateway's proxy): the callee's view.
      const parent = byId.get(s.parentSpanId);
      if (parent && parent.kind === SERVER && parent.service !== s.service) add(parent.service, s.service, 'call', s.durationMs, failed(s));
    }
  }
  // The gateway's failed proxying (upstream down or frozen) has no child span: count it on the edge of its area.
  return [...acc.values()].map((e) => ({
    from: e.from,
    to: e.to,
    kind: e.kind,
    count: e.durations.length,
    errors: e.errors,
    perSecond: e.durations.length / (windowMs / 1000),
    errorRate: e.errors / e.durations.length,
    p99Ms: p99(e.durations),
  }));
}

const POSITIONS: Record<string, [number, number]> = {
  gateway: [70, 250],
  identity: [270, 50],
  catalog: [270, 150],
  cart: [270, 250],
  orders: [270, 350],
  inventory: [500, 190],
  payments: [500, 350],
  'psp-sim': [720, 350],
  search: [720, 60],
  notifications: [720, 450],
  reports: [500, 470],
  'mail-sink': [880, 450],
};
const W = 120;
const H = 46;

export interface NodeState {
  name: string;
  /** Worst state of its instances. */
  state: string;
  instances: number;
  ready: number;
}

export interface LabelBox {
  x: number;
  y: number;
  width: number;
}

/** An edge label's size in the 10 px font the page gives it (a fair average width per character). */
const LABEL_CHAR_PX = 5.6;
const LABEL_LINE_PX = 13;

/**
 * Where a label goes: at its curve's middle, or moved down a line at a time
 * (a few lines at most) while it would cover a label placed before it — the
 * middles of two curves can be close (orders → notifications crosses
 * payments → reports).
 */
export function placeLabel(placed: LabelBox[], x: number, y: number, chars: number): { x: number; y: number } {
  const box = { x, y, width: chars * LABEL_CHAR_PX + 6 };
  const clashes = () => placed.some((p) => Math.abs(p.x - box.x) < (p.width + box.width) / 2 && Math.abs(p.y - box.y) < LABEL_LINE_PX);
  for (let tries = 0; tries < 4 && clashes(); tries++) box.y += LABEL_LINE_PX;
  placed.push(box);
  return { x: box.x, y: box.y };
}

/**
 * Render the topology as SVG: the curves, the services over them, and the
 * edge labels over everything, each on a white box of its own size (the
 * label-bg filter) so no curve runs through its words and no service box
 * cuts it off.
 */
export function topologySvg(nodes: NodeState[], edges: Edge[]): string {
  let extra = 0;
  const pos = new Map<string, [number, number]>();
  for (const n of nodes) pos.set(n.name, POSITIONS[n.name] ?? [880, 60 + 90 * extra++]);
  const inbound = new Map<string, { count: number; errors: number }>();
  for (const e of edges) {
    const i = inbound.get(e.to) ?? { count: 0, errors: 0 };
    i.count += e.count;
    i.errors += e.errors;
    inbound.set(e.to, i);
  }
  // Two services linked both ways (search calls catalog; catalog's events go to search) would get one curve
  // and one label spot for both: each of the pair is drawn off to its own side, its label with it.
  const linked = new Set(edges.map((e) => `${e.from}\u0000${e.to}`));
  const placed: LabelBox[] = [];
  const drawn = edges
    .filter((e) => pos.has(e.from) && pos.has(e.to))
    .map((e) => {
      const [x1, y1] = pos.get(e.from) as [number, number];
      const [x2, y2] = pos.get(e.to) as [number, number];
      const side = linked.has(`${e.to}\u0000${e.from}`) ? (e.from < e.to ? -1 : 1) : 0;
      let d: string;
      let lx: number;
      let ly: number;
      if (Math.abs(x2 - x1) < W) {
        // Same column: from the bottom (or top) of one to the top (or bottom) of the other, bowed sideways.
        const down = y2 > y1;
        const sy = y1 + (down ? H / 2 : -H / 2);
        const ey = y2 + (down ? -H / 2 : H / 2);
        const dx = side * 14;
        d = `M${x1 + 20 + dx},${sy} C${x1 + 60 + 2 * dx},${(sy + ey) / 2} ${x2 + 60 + 2 * dx},${(sy + ey) / 2} ${x2 + 20 + dx},${ey}`;
        lx = x1 + 52 + 2 * dx;
        ly = (sy + ey) / 2 + 4 + side * 8;
      } else {
        const sx = x1 + (x2 >= x1 ? W / 2 : -W / 2);
        const ex = x2 + (x2 >= x1 ? -W / 2 : W / 2);
        const mx = (sx + ex) / 2;
        const dy = side * 7;
        d = `M${sx},${y1 + dy} C${mx},${y1 + dy} ${mx},${y2 + dy} ${ex},${y2 + dy}`;
        lx = mx;
        // One label above its curve, the other below: a line apart at least.
        ly = (y1 + y2) / 2 + (side > 0 ? dy + 14 : dy - 5);
      }
      const cls = ['edge', e.kind === 'event' ? 'event' : '', e.errorRate > 0.05 ? 'error' : ''].join(' ').trim();
      const rate = e.perSecond >= 1 ? `${e.perSecond >= 10 ? Math.round(e.perSecond) : e.perSecond.toFixed(1)}/s` : `${Math.max(1, Math.round(e.perSecond * 60))}/min`;
      const errors = e.errors > 0 ? ` · ${Math.round(e.errorRate * 100)}% err` : '';
      const label = `${rate}${errors} · p99 ${ms(e.p99Ms)}`;
      const title = `<title>${esc(`${e.from} → ${e.to} (${e.kind === 'event' ? 'events' : 'calls'}): ${e.count} in the last minute, ${e.errors} failed, p99 ${ms(e.p99Ms)}`)}</title>`;
      const at = placeLabel(placed, lx, ly, label.length);
      return {
        path: `<g class="${cls}" data-edge="${esc(e.from)}-${esc(e.to)}" data-error-rate="${e.errorRate.toFixed(3)}">${title}<path d="${d}" marker-end="url(#arrow)"/></g>`,
        label: `<g class="${cls}" data-edge-label="${esc(e.from)}-${esc(e.to)}">${title}<text x="${at.x}" y="${at.y}" text-anchor="middle" filter="url(#label-bg)">${esc(label)}</text></g>`,
      };
    });
  const nodeSvg = nodes
    .map((n) => {
      const [x, y] = pos.get(n.name) as [number, number];
      const i = inbound.get(n.name);
      const down = n.ready < n.instances;
      const degraded = !down && i !== undefined && i.count > 0 && i.errors / i.count > 0.05;
      const cls = `node${down ? ' down' : degraded ? ' degraded' : ''}`;
      const sub = down ? `${n.state} · ${n.ready}/${n.instances} up` : `${n.instances} instance${n.instances === 1 ? '' : 's'}`;
      return `<g class="${cls}" data-service="${esc(n.name)}" data-state="${down ? 'down' : degraded ? 'degraded' : 'up'}"><rect x="${x - W / 2}" y="${y - H / 2}" width="${W}" height="${H}" rx="9"/>
<text x="${x}" y="${y - 3}" text-anchor="middle">${esc(n.name)}</text><text class="sub" x="${x}" y="${y + 13}" text-anchor="middle">${esc(sub)}</text></g>`;
    })
    .join('\n');
  return `<svg viewBox="0 0 960 510" role="img" aria-label="Service topology"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#9aa3b5"/></marker><filter id="label-bg" x="-0.04" y="-0.12" width="1.08" height="1.24"><feFlood flood-color="#fff" flood-opacity="0.92"/><feComposite in="SourceGraphic" operator="over"/></filter></defs>
${drawn.map((e) => e.path).join('\n')}
${nodeSvg}
${drawn.map((e) => e.label).join('\n')}</svg>`;
}
