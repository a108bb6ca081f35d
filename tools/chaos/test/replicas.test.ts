import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPLICATED, TARGETS, planFaults, seeded, serviceOf } from '../src/faults.ts';
import { GatewayPicker } from '../src/load.ts';

test('with one instance each, faults name the service, as before replicas existed', () => {
  const faults = planFaults({ durationMs: 600_000, everyMs: 12_000, infra: false, edge: true, random: seeded(42) });
  const named = faults.filter((f) => f.kind === 'kill' || f.kind === 'freeze').map((f) => (f as { target: string }).target);
  assert.ok(named.length > 20);
  for (const t of named) assert.ok((TARGETS as readonly string[]).includes(t), `${t} is a service name`);
});

test('with replicas, a kill or freeze hits one instance of a service that can scale, and both instances get hit', () => {
  const faults = planFaults({ durationMs: 600_000, everyMs: 12_000, infra: true, edge: true, random: seeded(7), replicas: 2 });
  const named = faults.filter((f) => f.kind === 'kill' || f.kind === 'freeze').map((f) => (f as { target: string }).target);
  const seen = new Set(named);
  for (const t of named) {
    const service = serviceOf(t);
    assert.ok((TARGETS as readonly string[]).includes(service), `${t} belongs to a target`);
    if (!(REPLICATED as readonly string[]).includes(service)) assert.equal(t, service, `${service} runs once: never an instance suffix`);
    else assert.ok(t === service || t === `${service}-2`, `${t} is instance 1 or 2`);
  }
  assert.ok([...seen].some((t) => /-2$/.test(t)), 'some fault hits a second instance');
  assert.ok([...seen].some((t) => (REPLICATED as readonly string[]).includes(t)), 'some fault hits a first instance');
  // The same seed, the same schedule.
  assert.deepEqual(planFaults({ durationMs: 600_000, everyMs: 12_000, infra: true, edge: true, random: seeded(7), replicas: 2 }), faults);
});

test('serviceOf strips an instance number only', () => {
  assert.equal(serviceOf('orders-2'), 'orders');
  assert.equal(serviceOf('orders'), 'orders');
  assert.equal(serviceOf('psp-sim'), 'psp-sim');
  assert.equal(serviceOf('mail-sink'), 'mail-sink');
});

test('the client spreads requests over the gateways and leaves out one that failed, for a while', () => {
  let now = 1000;
  const picker = new GatewayPicker(['http://a', 'http://b'], 5000, () => now);
  assert.deepEqual([picker.pick(), picker.pick(), picker.pick(), picker.pick()], ['http://a', 'http://b', 'http://a', 'http://b']);
  picker.failed('http://a');
  assert.deepEqual([picker.pick(), picker.pick(), picker.pick()], ['http://b', 'http://b', 'http://b'], 'a is out');
  now += 5001;
  assert.deepEqual(new Set([picker.pick(), picker.pick()]), new Set(['http://a', 'http://b']), 'a is back after the ejection time');
  // Both out: the one whose time out ends first is tried rather than none.
  picker.failed('http://a');
  now += 10;
  picker.failed('http://b');
  assert.equal(picker.pick(), 'http://a');
});

test('one gateway is never left out: there is nowhere else to go', () => {
  const picker = new GatewayPicker(['http://only'], 5000, () => 0);
  picker.failed('http://only');
  assert.equal(picker.pick(), 'http://only');
  assert.throws(() => new GatewayPicker([]), /at least one/);
});
