import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock, waitFor, withoutWaiting } from '../src/testing.ts';

test('waitFor polls until the probe answers something truthy, and returns it', async () => {
  let calls = 0;
  const value = await waitFor('the third call', async () => (++calls >= 3 ? { calls } : undefined));
  assert.deepEqual(value, { calls: 3 });
});

test('waitFor fails at the deadline naming what it waited for', async () => {
  let calls = 0;
  const t0 = Date.now();
  await assert.rejects(
    waitFor('something that never happens', () => {
      calls += 1;
      return false;
    }, 100),
    { message: 'timed out after 100 ms waiting for something that never happens' },
  );
  assert.ok(Date.now() - t0 >= 100, 'not before the deadline');
  assert.ok(calls > 1, 'it polled more than once');
});

test('waitFor fails at once when the probe throws', async () => {
  let calls = 0;
  await assert.rejects(
    waitFor('anything', () => {
      calls += 1;
      return Promise.reject(new Error('probe broke'));
    }, 5000),
    { message: 'probe broke' },
  );
  assert.equal(calls, 1, 'no second poll: it did not wait');
});

test('manualClock: sleepers wake at their own moments without the wall-time wait; advance() moves time by hand', async () => {
  const clock = manualClock({ start: 1000 });
  const woke: [string, number][] = [];
  await Promise.all([
    clock.sleep(300).then(() => woke.push(['a', clock.now()])),
    clock.sleep(100).then(() => woke.push(['b', clock.now()])),
  ]);
  assert.deepEqual(woke, [['b', 1100], ['a', 1300]], 'overlapping sleeps end at start + ms each, in order');
  clock.advance(50);
  assert.equal(clock.now(), 1350);
});

test('manualClock without autoAdvance: sleepers wait for advance()', async () => {
  const clock = manualClock({ start: 0, autoAdvance: false });
  let woke = false;
  const sleeping = clock.sleep(100).then(() => (woke = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(clock.pending(), 1);
  assert.equal(woke, false);
  clock.advance(60);
  await new Promise((r) => setImmediate(r));
  assert.equal(woke, false, 'not due yet');
  clock.advance(40);
  await sleeping;
  assert.equal(clock.pending(), 0);
});

test('withoutWaiting returns what answers without a timer, and fails naming what waited on one', async (t) => {
  assert.equal(await withoutWaiting(t, 'an immediate answer', async () => 42), 42);
  await assert.rejects(
    withoutWaiting(t, 'a 10 ms sleep', () => new Promise((r) => setTimeout(r, 10)), 200),
    { message: 'a 10 ms sleep waited on a timer: no answer within 200 ms with timers frozen' },
  );
  await new Promise((r) => setTimeout(r, 1)); // timers are real again afterwards
});
