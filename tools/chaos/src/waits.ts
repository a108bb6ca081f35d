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
}

export interface SlowJourney {
  /** Seconds after the load started. */
  startS: number;
  waitMs: number;
  /** The wait minus the time the gateway was down during it. */
  waitExEdgeMs: number;
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
export function waitsOf(journeys: JourneyRecord[], windows: FaultWindow[]): { raw: number[]; exEdge: number[] } {
  const edge = windows.filter((w) => w.edgeDown);
  const raw: number[] = [];
  const exEdge: number[] = [];
  for (const j of journeys) {
    if (!j.final) continue;
    const wait = j.final.at - j.startedAt;
    raw.push(wait);
    exEdge.push(wait - overlapMs(j.startedAt, j.final.at, edge));
  }
  return { raw: raw.sort((a, b) => a - b), exEdge: exEdge.sort((a, b) => a - b) };
}

/** The `count` slowest journeys (journeys that gave up while polling count with the time they waited). */
export function slowestJourneys(journeys: JourneyRecord[], windows: FaultWindow[], loadStartedAt: number, count: number): SlowJourney[] {
  const edge = windows.filter((w) => w.edgeDown);
  return journeys
    .filter((j) => j.final || j.endedAt !== undefined)
    .map((j) => {
      const end = j.final?.at ?? (j.endedAt as number);
      return {
        startS: (j.startedAt - loadStartedAt) / 1000,
        waitMs: end - j.startedAt,
        waitExEdgeMs: end - j.startedAt - overlapMs(j.startedAt, end, edge),
        acceptedAfterMs: j.acceptedAt === undefined ? undefined : j.acceptedAt - j.startedAt,
        status: j.final?.status ?? `gave up: ${j.gaveUp ?? '?'}`,
        orderId: j.orderId,
        faults: windows.filter((w) => w.from < end && w.to > j.startedAt).map((w) => `${w.label} (${((w.from - loadStartedAt) / 1000).toFixed(1)}–${((w.to - loadStartedAt) / 1000).toFixed(1)} s)`),
      };
    })
    .sort((a, b) => b.waitMs - a.waitMs)
    .slice(0, count);
}
