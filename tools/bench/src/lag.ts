/**
 * Event lag, from the outbox to the consumer's effect (issue 14), for the
 * events some checkouts caused: for each event, the time it was written to
 * its producer's outbox (the CloudEvent's `time`, read back from the
 * producer's feed) against the end of the CONSUMER span that applied it (a
 * consumer's span ends once its transaction has committed: the effect),
 * per consumer. The spans come from the launcher's telemetry store (the
 * operations dashboard's /api/orders/:id: every span of the order's
 * traces), so the running system needs tracing on, as it is by default.
 */
import { until, type RunningSystem } from '../../launcher/src/harness.ts';
import { quantile } from './checkout.ts';

/** What this module reads of a stored span (tools/launcher/src/telemetry/store.ts StoredSpan). */
export interface SpanRow {
  service: string;
  kind: number;
  start: number;
  end: number;
  attributes: Record<string, unknown>;
}

export interface FeedEvent {
  id: string;
  time: string;
  sequence: number;
}

export interface ConsumerLag {
  /** consumer ← source, e.g. notifications ← orders */
  edge: string;
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LagFigures {
  edges: ConsumerLag[];
  all: { n: number; p50: number; p99: number };
  /** Consumer spans whose event was not found in its producer's feed (should be none). */
  unmatched: number;
}

const CONSUMER = 4;

interface Applied {
  edge: string;
  source: string;
  eventId: string;
  sequence: number;
  end: number;
}

/** The consumer spans among these spans: which event each applied, and when it ended. */
export function consumerSpans(spans: readonly SpanRow[]): Applied[] {
  const out: Applied[] = [];
  for (const s of spans) {
    if (s.kind !== CONSUMER) continue;
    const eventId = s.attributes['messaging.message.id'];
    const source = s.attributes['messaging.destination.name'];
    if (typeof eventId !== 'string' || typeof source !== 'string') continue;
    const consumer = typeof s.attributes['messaging.consumer.group.name'] === 'string' ? (s.attributes['messaging.consumer.group.name'] as string) : s.service;
    out.push({ edge: `${consumer} ← ${source}`, source, eventId, sequence: Number(s.attributes['bazaar.event.sequence'] ?? 0), end: s.end });
  }
  return out;
}

/** Lag (ms) of each applied event: its consumer span's end minus the event's time in the outbox, by edge. */
export function lagFigures(applied: readonly Applied[], events: ReadonlyMap<string, FeedEvent>): LagFigures {
  const byEdge = new Map<string, number[]>();
  let unmatched = 0;
  for (const a of applied) {
    const event = events.get(a.eventId);
    if (!event) {
      unmatched += 1;
      continue;
    }
    let lags = byEdge.get(a.edge);
    if (!lags) byEdge.set(a.edge, (lags = []));
    lags.push(a.end - Date.parse(event.time));
  }
  const figures = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    return { n: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? 0 };
  };
  const edges = [...byEdge].map(([edge, values]) => ({ edge, ...figures(values) })).sort((x, y) => x.edge.localeCompare(y.edge));
  const { n, p50, p99 } = figures([...byEdge.values()].flat());
  return { edges, all: { n, p50, p99 }, unmatched };
}

/** Read the event lag of these orders' traces from the running system (spans exported, events in the feeds). */
export async function benchEventLag(system: RunningSystem, orderIds: readonly string[]): Promise<LagFigures> {
  const spansOf = async (orderId: string): Promise<SpanRow[]> => {
    const res = await fetch(`${system.controlUrl}/api/orders/${encodeURIComponent(orderId)}`);
    if (!res.ok) throw new Error(`the launcher's /api/orders/${orderId} answered ${res.status}`);
    return ((await res.json()) as { spans: SpanRow[] }).spans;
  };
  // Spans reach the launcher in the services' next export (every 2 s): read until two reads a second apart agree.
  let applied: Applied[] = [];
  await until('the consumers of the orders\' events to have exported their spans', 30_000, async () => {
    const read = consumerSpans((await Promise.all(orderIds.map(spansOf))).flat());
    const same = read.length > 0 && read.length === applied.length;
    applied = read;
    if (!same) await new Promise((r) => setTimeout(r, 1000));
    return same ? true : undefined;
  });
  const events = new Map<string, FeedEvent>();
  for (const source of new Set(applied.map((a) => a.source))) {
    const sequences = applied.filter((a) => a.source === source).map((a) => a.sequence);
    const producer = await system.service(source);
    let after = Math.max(0, Math.min(...sequences) - 1);
    const last = Math.max(...sequences);
    while (after < last) {
      const res = await fetch(`${producer.url}/internal/events?after=${after}&limit=500`, { headers: system.callAs(source) });
      if (!res.ok) throw new Error(`${source}'s feed answered ${res.status}: ${await res.text()}`);
      const page = ((await res.json()) as { events: FeedEvent[] }).events;
      if (page.length === 0) break;
      for (const e of page) events.set(e.id, e);
      after = (page.at(-1) as FeedEvent).sequence;
    }
  }
  return lagFigures(applied, events);
}
