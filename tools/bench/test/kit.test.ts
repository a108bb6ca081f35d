import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { benchKitOverhead, kitOverhead } from '../src/kit.ts';

test("the kit's shares are the median of each round's own ratio, not a ratio of medians", () => {
  // The machine slowed through the rounds: yardstick and read fell together, the ratio held.
  const rounds = [
    { yardstick: 30_000, read: 12_000, healthz: 27_000, readCpuUs: 80 },
    { yardstick: 20_000, read: 8_000, healthz: 10_000, readCpuUs: 95 },
    { yardstick: 10_000, read: 4_500, healthz: 7_000, readCpuUs: 110 },
  ];
  const figures = kitOverhead(rounds);
  assert.equal(figures.readShare, 0.4, 'rounds at 0.40, 0.40 and 0.45: the median is 0.40');
  // /healthz: rounds at 0.90, 0.50 and 0.70. The median healthz over the median yardstick would say 0.50.
  assert.equal(figures.healthzShare, 0.7);
  assert.equal(figures.readCpuUs, 95);
  assert.equal(figures.rounds.length, 3);
});

test('an even number of rounds takes the middle two; rounds without a CPU figure leave it undefined; none is an error', () => {
  const figures = kitOverhead([
    { yardstick: 100, read: 30, healthz: 60, readCpuUs: undefined },
    { yardstick: 100, read: 40, healthz: 80, readCpuUs: undefined },
  ]);
  assert.equal(figures.readShare, 0.35);
  assert.equal(figures.healthzShare, 0.7);
  assert.equal(figures.readCpuUs, undefined);
  assert.throws(() => kitOverhead([]), /at least one round/);
});

test('the rounds load the yardstick, the read and /healthz in turn, each answered', { timeout: 120_000 }, async () => {
  const asked = { read: 0, healthz: 0 };
  const server = createServer((req, res) => {
    if (req.url === '/healthz') asked.healthz += 1;
    else asked.read += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const figures = await benchKitOverhead({ readUrl: `${base}/read`, healthzUrl: `${base}/healthz`, catalogPid: process.pid, connections: 2, durationS: 1, rounds: 2, warmupS: 1, progress: (line) => lines.push(line) });
    assert.equal(figures.rounds.length, 2);
    assert.equal(lines.length, 2, 'one progress line per round');
    for (const round of figures.rounds) for (const rps of [round.yardstick, round.read, round.healthz]) assert.ok(Number.isFinite(rps) && rps > 0, `every load was answered: ${JSON.stringify(round)}`);
    assert.ok(asked.read > 0 && asked.healthz > 0, 'both targets were asked');
    assert.ok(figures.readShare > 0 && Number.isFinite(figures.readShare));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
