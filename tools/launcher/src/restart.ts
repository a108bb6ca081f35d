/**
 * `npm run restart -- <service>`: a rolling restart of one service in the
 * running launcher (all its instances, one by one, each ready before the
 * next goes down), through the launcher's control API.
 */
import { parseArgs } from 'node:util';
import { formatTable } from './table.ts';
import type { RollingStep } from './rolling.ts';

const HELP = `Usage: npm run restart -- <service> [--launcher <url>]

Restarts every instance of <service> one at a time in the running launcher
(npm start / npm run start:infra): each is stopped gracefully, started, and
must answer /readyz before the next one goes down.

  --launcher <url>   the launcher's control API (default http://127.0.0.1:$LAUNCHER_PORT, port 8070)
`;

function fail(message: string): never {
  process.stderr.write(`bazaar restart: ${message}\n`);
  process.exit(1);
}

const parsed = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { launcher: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP}`);
  }
})();
if (parsed.values.help || parsed.positionals.length !== 1) {
  process.stdout.write(HELP);
  process.exit(parsed.values.help ? 0 : 1);
}
const service = parsed.positionals[0] as string;
const launcher = (parsed.values.launcher ?? `http://127.0.0.1:${process.env.LAUNCHER_PORT || 8070}`).replace(/\/+$/, '');

process.stdout.write(`rolling restart of ${service} via ${launcher}…\n`);
let res: Response;
try {
  res = await fetch(`${launcher}/api/services/${encodeURIComponent(service)}/rolling-restart`, { method: 'POST' });
} catch (error) {
  fail(`cannot reach the launcher at ${launcher} (${(error as Error).cause ?? (error as Error).message}). Is Bazaar running (npm start)? Set --launcher or LAUNCHER_PORT.`);
}
const body = (await res.json()) as { steps?: RollingStep[]; title?: string; detail?: string };
const table = (steps: RollingStep[]) =>
  formatTable(
    ['instance', 'pid before', 'pid after', 'back in'],
    steps.map((s) => [s.name, String(s.pidBefore ?? '–'), String(s.pidAfter ?? '–'), `${(s.ms / 1000).toFixed(1)} s`]),
  );
if (body.steps && body.steps.length > 0) process.stdout.write(`${table(body.steps)}\n`);
if (!res.ok) fail(`${body.title ?? `the launcher answered ${res.status}`}${body.detail ? `: ${body.detail}` : ''}`);
process.stdout.write(`${service}: every instance restarted and ready\n`);
