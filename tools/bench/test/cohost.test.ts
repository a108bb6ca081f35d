import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { measureHosting, measureHostings, median, type HostingCost } from '../src/cohost.ts';
import { schedCpuMs } from '../src/proc.ts';

const linux = existsSync(`/proc/${process.pid}/task`);

test("a process's CPU from the scheduler's count agrees with its own count", { skip: !linux && 'no /proc here' }, () => {
  const before = schedCpuMs(process.pid);
  const own = process.cpuUsage();
  // Burn ~150 ms of CPU, a span both counts measure to well under a per cent.
  for (const t0 = process.cpuUsage(); (process.cpuUsage(t0).user + process.cpuUsage(t0).system) / 1000 < 150; );
  const ownMs = (process.cpuUsage(own).user + process.cpuUsage(own).system) / 1000;
  const after = schedCpuMs(process.pid);
  assert.ok(before !== undefined && after !== undefined, 'schedstat is readable for this process');
  const ratio = (after - before) / ownMs;
  assert.ok(ratio > 0.8 && ratio < 1.25, `the scheduler counted ${(after - before).toFixed(1)} ms against the process's own ${ownMs.toFixed(1)} ms`);
  assert.equal(schedCpuMs(2 ** 22 + 1), undefined, 'a process that does not exist has no figure');
});

test('each hosting sends every request through the whole chain and measures its servers', { skip: !linux && 'no /proc here', timeout: 120_000 }, async () => {
  for (const hosting of ['processes', 'threads', 'loop'] as const) {
    const cost = await measureHosting(hosting, { servers: 3, rate: 40, seconds: 1, warmup: 20 });
    // The client exits (and the measurement fails) on an answer that did not cross all three servers.
    assert.equal(cost.hosting, hosting);
    assert.equal(cost.requests, 40, `${hosting}: every paced request answered`);
    assert.ok(Number.isFinite(cost.perRequestUs) && cost.perRequestUs > 0, `${hosting}: the servers' CPU was counted (${cost.perRequestUs} µs)`);
    assert.equal(cost.exact, true, `${hosting}: from the scheduler's count`);
  }
});

test('a chain with nothing to run is refused before anything starts', async () => {
  await assert.rejects(measureHosting('loop', { servers: 0, rate: 10, seconds: 1 }), /at least one server/);
  await assert.rejects(measureHosting('loop', { servers: 2, rate: 0, seconds: 1 }), /a rate/);
  await assert.rejects(measureHostings({ servers: 2, rate: 10, seconds: 0, hostings: ['loop'] }), /a duration/);
});

test("the median of a hosting's rounds is its middle run (the lower middle of an even count)", () => {
  const run = (us: number): HostingCost => ({ hosting: 'loop', requests: 100, perRequestUs: us, exact: true });
  assert.equal(median([run(9), run(1), run(5)]).perRequestUs, 5);
  assert.equal(median([run(9), run(1), run(5), run(7)]).perRequestUs, 5);
  assert.equal(median([run(3)]).perRequestUs, 3);
  assert.throws(() => median([]), /no run/);
});
