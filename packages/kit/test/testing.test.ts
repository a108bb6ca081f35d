import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../src/testing.ts';

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
  const t0 = Date.now();
  await assert.rejects(waitFor('anything', () => Promise.reject(new Error('probe broke')), 5000), { message: 'probe broke' });
  assert.ok(Date.now() - t0 < 1000);
});
