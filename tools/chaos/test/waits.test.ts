import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overLimitByFault, overlapMs, slowestJourneys, waitsOf, type FaultWindow } from '../src/waits.ts';
import type { JourneyRecord, Shopper } from '../src/load.ts';

const shopper: Shopper = { email: 'a@example.com', password: 'p', token: 't', busy: false, keys: new Map() };
const journey = (startedAt: number, finalAt: number | undefined, extra: Partial<JourneyRecord> = {}): JourneyRecord => ({
  shopper,
  key: `k${startedAt}`,
  startedAt,
  ...(finalAt === undefined ? {} : { final: { status: 'CANCELLED' as const, at: finalAt } }),
  ...extra,
});

test('overlapMs counts the union of windows inside the interval once', () => {
  assert.equal(overlapMs(0, 100, []), 0);
  assert.equal(overlapMs(0, 100, [{ from: 10, to: 30 }]), 20);
  assert.equal(overlapMs(0, 100, [{ from: -50, to: 10 }, { from: 90, to: 500 }]), 20, 'windows cut at the interval');
  assert.equal(overlapMs(0, 100, [{ from: 10, to: 50 }, { from: 20, to: 60 }, { from: 55, to: 70 }]), 60, 'overlapping windows not counted twice');
  assert.equal(overlapMs(0, 100, [{ from: 200, to: 300 }]), 0);
});

test('waits without the edge subtract only the gateway being down, and the raw waits stay as they were', () => {
  const windows: FaultWindow[] = [
    { label: 'SIGSTOP gateway', from: 1_000, to: 21_000, edgeDown: true },
    { label: 'SIGSTOP payments', from: 0, to: 30_000, edgeDown: false },
  ];
  const { raw, exEdge } = waitsOf([journey(0, 25_000), journey(40_000, 41_000), journey(50_000, undefined)], windows);
  assert.deepEqual(raw, [1_000, 25_000]);
  assert.deepEqual(exEdge, [1_000, 5_000]);
});

test('the slowest journeys come first, with the faults active during their wait', () => {
  const windows: FaultWindow[] = [
    { label: 'kill -9 orders', from: 10_000, to: 18_000, edgeDown: false },
    { label: 'restart redis', from: 90_000, to: 91_000, edgeDown: false },
  ];
  const slow = slowestJourneys(
    [journey(5_000, 6_000), journey(8_000, 30_000, { acceptedAt: 9_000, orderId: 'o1' }), journey(50_000, undefined, { gaveUp: 'checkout answered 409', endedAt: 52_000 }), journey(60_000, undefined)],
    windows,
    0,
    2,
  );
  assert.equal(slow.length, 2);
  assert.deepEqual(
    slow.map((j) => [j.startS, j.waitMs, j.acceptedAfterMs, j.status, j.orderId]),
    [
      [8, 22_000, 1_000, 'CANCELLED', 'o1'],
      [50, 2_000, undefined, 'gave up: checkout answered 409', undefined],
    ],
  );
  assert.deepEqual(slow[0]?.faults, ['kill -9 orders (10.0–18.0 s)']);
  assert.deepEqual(slow[1]?.faults, []);
});

test('without the answer path: the gateway and orders down are taken out, other services are not', () => {
  const windows: FaultWindow[] = [
    { label: 'SIGSTOP orders', from: 2_000, to: 22_000, edgeDown: false, ordersDown: true },
    { label: 'SIGSTOP gateway', from: 10_000, to: 30_000, edgeDown: true },
    { label: 'SIGSTOP inventory', from: 0, to: 40_000, edgeDown: false },
  ];
  const { raw, exEdge, exPath } = waitsOf([journey(0, 40_000)], windows);
  assert.deepEqual(raw, [40_000]);
  assert.deepEqual(exEdge, [20_000], 'only the gateway');
  assert.deepEqual(exPath, [12_000], 'gateway and orders, their overlap counted once');
});

test('without the answer path: a PostgreSQL restart is taken out (the answer is recorded there), a Redis or NATS restart and a frozen instance among two are not', () => {
  const windows: FaultWindow[] = [
    { label: 'restart postgres', from: 15_000, to: 17_000, edgeDown: false, databaseDown: true },
    { label: 'restart nats', from: 5_000, to: 6_000, edgeDown: false, databaseDown: false },
    { label: 'SIGSTOP orders-2', from: 0, to: 10_000, edgeDown: false, ordersDown: false },
  ];
  const { raw, exEdge, exPath } = waitsOf([journey(0, 18_000)], windows);
  assert.deepEqual(raw, [18_000]);
  assert.deepEqual(exEdge, [18_000]);
  assert.deepEqual(exPath, [16_000]);
});

test('journeys over the limit are counted under each kind of fault during their wait', () => {
  const windows: FaultWindow[] = [
    { label: 'SIGSTOP orders', from: 1_000, to: 25_000, edgeDown: false, ordersDown: true },
    { label: 'SIGSTOP orders', from: 100_000, to: 125_000, edgeDown: false, ordersDown: true },
    { label: 'payments → psp-sim: black hole', from: 0, to: 5_000, edgeDown: false },
  ];
  const all = slowestJourneys([journey(0, 30_000), journey(99_000, 126_000), journey(200_000, 220_000), journey(300_000, 301_000)], windows, 0, 10);
  assert.deepEqual(overLimitByFault(all, 17_000), [
    ['SIGSTOP orders', 2],
    ['payments → psp-sim: black hole', 1],
    ['no fault', 1],
  ]);
});
