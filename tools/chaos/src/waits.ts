/**
 * The customer's wait for a final answer, and what was broken meanwhile: the
 * slowest journeys with the faults active during each, and the wait with the
 * time the edge itself (the gateway, every client's only way in) was down
 * taken out — reported beside the raw figure, never instead of it.
 */
import type { JourneyRecord } from './load.ts';

/** A fault as it actually happened: from when it was applied until it was healed (or the service answered again). */
export interface FaultWindow {
  label: string;
  from: number;
  to: number;
  /** The gateway frozen or killed: no client can get any answer meanwhile. */
  edgeDown: boolean;
  /** orders frozen or killed: it alone holds the order and drives its saga, so no final answer can come meanwhile (one orders instance). */
  ordersDown?: boolean;
  /** PostgreSQL restarting (--infra): orders' database, where a final answer is recorded and read, is away meanwhile. */
  databaseDown?: boolean;
}

/**
 * Windows during which no final answer can reach a client by construction:
 * the gateway or orders (the answer's holder) down with no other instance, or
 * the database the answer is recorded in restarting.
 */
export const answerPathDown = (w: FaultWindow): boolean => w.edgeDown || w.ordersDown === true || w.databaseDown === true;

export interface SlowJourney {
  /** Seconds after the load started. */
  startS: number;
  waitMs: number;
  /** The wait minus the time the gateway was down during it. */
  waitExEdgeMs: number;
  /** The wait minus the time the gateway or orders was down during it. */
  waitExPathMs: number;
  /** How long POST /api/checkout took to be accepted (an order id given), retries included. */
  acceptedAfterMs: number | undefined;
  status: string;
  orderId: string | undefined;
  faults: string[];
}

/** Milliseconds of [from, to] covered by the union of `windows`. */
export function overlapMs(from: number, to: number, windows: { from: number; to: number }[]): number {
  const cut = windows
    .map((w) => [Math.max(from, w.from), Math.min(to, w.to)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of cut) {
    const start = Math.max(a, end);
    if (b > start) total += b - start;
    end = Math.max(end, b);
  }
  return total;
}

/** The wait of every journey with a final answer, raw and without the edge's down time. */
export function waitsOf(journeys: JourneyRecord[], windows: FaultWindow[]): { raw: number[]; exEdge: number[]; exPath: number[] } {
  const edge = windows.filter((w) => w.edgeDown);
  const path = windows.filter(answerPathDown);
  const raw: number[] = [];
  const exEdge: number[] = [];
  const exPath: number[] = [];
  for (const j of journeys) {
    if (!j.final) continue;
    const wait = j.final.at - j.startedAt;
    raw.push(wait);
    exEdge.push(wait - overlapMs(j.startedAt, j.final.at, edge));
    exPath.push(wait - overlapMs(j.startedAt, j.final.at, path));
  }
  const up = (a: number, b: number) => a - b;
  return { raw: raw.sort(up), exEdge: exEdge.sort(up), exPath: exPath.sort(up) };
}

/** The `count` slowest journeys (journeys that gave up while polling count with the time they waited). */
export function slowestJourneys(journeys: JourneyRecord[], windows: FaultWindow[], loadStartedAt: number, count: number, by: 'waitMs' | 'waitExPathMs' = 'waitMs'): SlowJourney[] {
  return journeyWaits(journeys, windows, loadStartedAt)
    .sort((a, b) => b[by] - a[by])
    .slice(0, count);
}

/** Every journey that ended (a final answer, or gave up after its checkout began), with its waits and the faults during it. */
export function journeyWaits(journeys: JourneyRecord[], windows: FaultWindow[], loadStartedAt: number): SlowJourney[] {
  const edge = windows.filter((w) => w.edgeDown);
  const path = windows.filter(answerPathDown);
  return journeys
    .filter((j) => j.final || j.endedAt !== undefined)
    .map((j) => {
      const end = j.final?.at ?? (j.endedAt as number);
      return {
        startS: (j.startedAt - loadStartedAt) / 1000,
        waitMs: end - j.startedAt,
        waitExEdgeMs: end - j.startedAt - overlapMs(j.startedAt, end, edge),
        waitExPathMs: end - j.startedAt - overlapMs(j.startedAt, end, path),
        acceptedAfterMs: j.acceptedAt === undefined ? undefined : j.acceptedAt - j.startedAt,
        status: j.final?.status ?? `gave up: ${j.gaveUp ?? '?'}`,
        orderId: j.orderId,
        faults: windows.filter((w) => w.from < end && w.to > j.startedAt).map((w) => `${w.label} (${((w.from - loadStartedAt) / 1000).toFixed(1)}–${((w.to - loadStartedAt) / 1000).toFixed(1)} s)`),
      };
    });
}

/** How many journeys over `limitMs` had each kind of fault active during their wait ("SIGSTOP orders" → 40). */
export function overLimitByFault(list: SlowJourney[], limitMs: number): [string, number][] {
  const counts = new Map<string, number>();
  for (const j of list) {
    if (j.waitMs <= limitMs) continue;
    const kinds = new Set(j.faults.map((f) => f.replace(/ \([\d.–-]+ s\)$/, '')));
    if (kinds.size === 0) kinds.add('no fault');
    for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}
