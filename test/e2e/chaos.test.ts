// A short chaos round in every test run (issue 12): about a minute of open-loop
// checkout load on the embedded system while services are killed (kill -9),
// frozen (SIGSTOP/SIGCONT) and the payments → psp-sim edge is slowed, black-holed
// or reset; then every invariant must hold. `npm run chaos` runs longer rounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChaos } from '../../tools/chaos/src/run.ts';
import { renderReport } from '../../tools/chaos/src/report.ts';
import { portBaseFor } from '../../tools/launcher/src/harness.ts';

test('chaos round: kill -9, SIGSTOP and a faulty edge under checkout load; every invariant holds', { timeout: 900_000 }, async () => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const result = await runChaos({
    durationMs: 60_000,
    rate: 1,
    users: 8,
    declinedShare: 0.2,
    infra: false,
    seed,
    faultEveryMs: 10_000,
    settleTimeoutMs: 120_000,
    sagaDeadlineMs: 15_000,
    portBase: portBaseFor(9),
    log: () => {},
  });
  const report = renderReport(result);
  process.stdout.write(`${report}\n`);
  assert.ok(result.figures.finals > 0, 'checkouts reached a final answer');
  assert.ok(result.applied.some((line) => /kill -9|SIGSTOP/.test(line)), 'faults were injected');
  assert.ok(result.ok, `an invariant was violated (seed ${seed}):\n${report}`);
});
