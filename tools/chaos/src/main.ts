/**
 * npm run chaos -- [--duration 90s|10m] [--rate 2] [--users 20] [--declined 0.2]
 *                  [--infra] [--seed N] [--fault-every 12s] [--deadline 15s]
 *                  [--replicas N] [--save journeys.json]
 * --replicas: instances of each service that can scale (default 2 with --infra, 1 embedded).
 * Exit code: 0 every invariant holds, 1 a violation, 2 the round could not run.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { runChaos } from './run.ts';
import { renderReport } from './report.ts';

/** "90s", "10m", "1500ms" or plain milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`--${flag} ${text}: give a duration like 90s, 10m or 1500ms`);
  const n = Number(m[1]);
  return Math.round(m[2] === 'm' ? n * 60_000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n);
}

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '90s' },
    rate: { type: 'string', default: '2' },
    users: { type: 'string', default: '20' },
    declined: { type: 'string', default: '0.2' },
    infra: { type: 'boolean', default: false },
    seed: { type: 'string' },
    'fault-every': { type: 'string', default: '12s' },
    deadline: { type: 'string', default: '15s' },
    settle: { type: 'string', default: '120s' },
    save: { type: 'string' },
    replicas: { type: 'string' },
  },
});

try {
  const rate = Number(values.rate);
  const users = Number(values.users);
  const declined = Number(values.declined);
  if (!(rate > 0)) throw new Error('--rate must be a positive number of checkouts per second');
  if (!Number.isInteger(users) || users < 1) throw new Error('--users must be a positive integer');
  if (!(declined >= 0 && declined <= 1)) throw new Error('--declined is a share between 0 and 1');
  // On PostgreSQL two instances of a service share its database as two pods would; embedded, they would share one
  // SQLite file, whose single writer lock a frozen instance keeps from the other: one instance each there.
  const replicas = values.replicas === undefined ? (values.infra ? 2 : 1) : Number(values.replicas);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 3) throw new Error('--replicas must be 1, 2 or 3 (instances of each service that can scale)');
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const result = await runChaos({
    durationMs: parseDuration(values.duration, 'duration'),
    rate,
    users,
    declinedShare: declined,
    infra: values.infra,
    seed,
    faultEveryMs: parseDuration(values['fault-every'], 'fault-every'),
    sagaDeadlineMs: parseDuration(values.deadline, 'deadline'),
    settleTimeoutMs: parseDuration(values.settle, 'settle'),
    replicas,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${renderReport(result)}\n`);
  // Every journey's wait and the faults during it, plus the fault windows, for a closer look.
  if (values.save) writeFileSync(values.save, JSON.stringify({ loadStartedAt: result.loadStartedAt, windows: result.windows, journeys: result.all }, null, 1));
  process.exit(result.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`chaos round could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
}
