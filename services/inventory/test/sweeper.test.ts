import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testLogger, waitFor } from '@bazaar/kit/testing';
import { startSweeper } from '../src/sweeper.ts';

test('the sweeper runs passes one at a time, survives a failing pass, and stop() waits for the pass in progress', async () => {
  const lines: string[] = [];
  let passes = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let finished = 0;
  const sweeper = startSweeper({
    intervalMs: 5,
    logger: testLogger(lines),
    sweep: async () => {
      passes += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 15));
      inFlight -= 1;
      finished += 1;
      if (passes === 2) throw new Error('database busy');
      return 0;
    },
  });
  await waitFor('four passes', async () => (passes >= 4 ? true : undefined), 30_000);
  await sweeper.stop();
  assert.equal(inFlight, 0, 'stop() resolved only after the running pass ended');
  assert.equal(maxInFlight, 1, 'passes never overlap');
  assert.ok(lines.some((l) => JSON.parse(l).msg === 'reservation sweep failed; will retry'), 'the failure is logged');
  const after = finished;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(finished, after, 'no pass after stop()');
});
