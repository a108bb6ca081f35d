import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPLICATED, TARGETS, planFaults, seeded, serviceOf } from '../src/faults.ts';

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
