/**
 * A private PostgreSQL server for tests and the chaos suite: its own data
 * directory and port, so it can be stopped and restarted under load without
 * touching the machine's shared server. Uses the Debian postgresql package's
 * initdb and pg_ctl (/usr/lib/postgresql/<version>/bin). PostgreSQL refuses to
 * run as root, so under root the binaries run as the `postgres` user.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where pg_ctl and initdb are: the newest version under /usr/lib/postgresql, or PG_BIN. */
export function postgresBinDir(env: Record<string, string | undefined> = process.env): string {
  if (env.PG_BIN) return env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!newest) throw new Error('No PostgreSQL binaries found under /usr/lib/postgresql (install the Debian package postgresql, or set PG_BIN)');
  return join(root, newest, 'bin');
}

/** A free TCP port on 127.0.0.1 within [from, to), tried in random order (never the shared 5432/6379/4222 unless asked). */
export async function freePort(from = 13_000, to = 20_000): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = from + Math.floor(Math.random() * (to - from));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`No free port found in ${from}-${to} after 50 tries`);
}

/** A running private PostgreSQL server. */
export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication). */
  url: string;
  dataDir: string;
  /** Stop it (fast shutdown: open connections are terminated, as in a real restart). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and start again: every connection is dropped with "terminating connection due to administrator command". */
  restart(): Promise<void>;
  /** Stop it and remove its data directory. */
  destroy(): Promise<void>;
}

/** initdb a fresh cluster in a temp directory and start it on `port` (a free one by default). */
export async function startPrivatePostgres(opts: { port?: number; name?: string } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const port = opts.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), `bazaar-pg-${opts.name ?? 'private'}-`));
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dataDir, postgresUid(), postgresGid());
  const exec = async (file: string, args: string[]): Promise<void> => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, file), ...args]] : [join(bin, file), args];
    try {
      await run(cmd, argv, { timeout: 60_000 });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`${file} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: error });
    }
  };
  await exec('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  // Sockets in the data dir (not /var/run/postgresql, which needs privileges); durability off: a test cluster.
  const options = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const log = join(dataDir, 'server.log');
  const start = () => exec('pg_ctl', ['-D', dataDir, '-o', options, '-l', log, '-w', '-t', '60', 'start']);
  const stop = () => exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  await start();
  let running = true;
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async restart() {
      await stop();
      running = false;
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop().catch(() => {});
      running = false;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const postgresUid = () => idOf('-u');
const postgresGid = () => idOf('-g');

function idOf(flag: '-u' | '-g'): number {
  try {
    return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  } catch (error) {
    throw new Error('Running as root but there is no postgres user to run PostgreSQL as (install the Debian package postgresql)', { cause: error });
  }
}
