import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pooled, tracingCost, type TracingBurst } from '../src/tracing.ts';

const burst = (mode: 'off' | 'on', pair: number, perSecond: number, times: number[], cpuMs: number, launcherCpuMs = 0): TracingBurst => ({ mode, pair, checkouts: times.length, perSecond, times, byProcess: { launcher: launcherCpuMs, orders: cpuMs - launcherCpuMs } });
const times = (n: number, ms: number, slowest = ms) => [...Array.from({ length: n - 1 }, () => ms), slowest];

test('pooled: throughput over the time of all bursts, percentiles over every checkout, CPU per confirmed checkout', () => {
  const bursts = [burst('off', 1, 20, times(100, 100), 8000, 50), burst('off', 2, 10, times(100, 200, 900), 10_000, 50), burst('on', 1, 5, times(10, 1), 1)];
  const off = pooled(bursts, 'off');
  // 100 checkouts in 5 s, then 100 in 10 s: 200 in 15 s.
  assert.equal(off.checkouts, 200);
  assert.ok(Math.abs(off.perSecond - 200 / 15) < 1e-9, String(off.perSecond));
  assert.equal(off.p50, 200, 'the value at index ⌊0.5 · 200⌋ of the 200 sorted times: the one quantile of the whole bench');
  assert.equal(off.p99, 200, 'the 198th of 200 sorted times');
  assert.equal(off.cpuMsPerCheckout, 90);
  assert.equal(off.launcherCpuMsPerCheckout, 0.5);
  assert.deepEqual(off.byProcess, { launcher: 0.5, orders: 89.5 });
});

test('tracingCost: one pair caught by a slow spell moves the pooled figures, not the median of the pairs', () => {
  const pairs: TracingBurst[] = [];
  for (let pair = 1; pair <= 5; pair++) {
    const slow = pair === 3 ? 4 : 1;
    pairs.push(burst('off', pair, 20 / slow, times(100, 100 * slow), 8000 * slow), burst('on', pair, 18 / slow, times(100, 120 * slow), 8800 * slow, 400 * slow));
  }
  const cost = tracingCost(pairs);
  assert.ok(Math.abs(cost.throughputMedianOfPairs - 10) < 1e-9, `throughput: every pair says 10 % (${cost.throughputMedianOfPairs})`);
  assert.ok(Math.abs(cost.p99MedianOfPairs - 20) < 1e-9, `p99: every pair says 20 % (${cost.p99MedianOfPairs})`);
  assert.ok(Math.abs(cost.cpu - 10) < 1e-9, `CPU: 10 % (${cost.cpu})`);
  assert.ok(cost.servicesCpu < cost.cpu, 'the launcher share is taken out of the services-alone figure');
  // Pooled, the slow pair's times set the p99 of both modes.
  assert.ok(Math.abs(cost.p99 - 20) < 1e-9, String(cost.p99));
  const lopsided = pairs.map((b) => (b.pair === 3 && b.mode === 'on' ? { ...b, perSecond: b.perSecond / 3, times: b.times.map((t) => t * 3) } : b));
  const hit = tracingCost(lopsided);
  assert.ok(hit.p99 > 200, `one slow burst decides the pooled p99 (${hit.p99})`);
  assert.ok(Math.abs(hit.p99MedianOfPairs - 20) < 1e-9, `the median of the pairs does not move (${hit.p99MedianOfPairs})`);
  assert.ok(Math.abs(hit.throughputMedianOfPairs - 10) < 1e-9);
});
