/**
 * `--infra`: PostgreSQL, Redis and NATS JetStream as PRIVATE servers the
 * suite starts itself (own ports below 32768, own data directories), so it can
 * restart them under load without touching the machine's shared servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPrivatePostgres, type PrivatePostgres } from '@bazaar/store/private-server';

/** One private infrastructure server the schedule can restart. */
export interface InfraServer {
  name: 'postgres' | 'redis' | 'nats';
  url: string;
  restart(): Promise<void>;
  /** Stop it (for the isolation matrix) and start it again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

async function listening(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A server run as a child process, restartable on the same port and data directory. */
async function childServer(opts: { name: 'redis' | 'nats'; url: string; port: number; command: string; args: string[]; dir: string }): Promise<InfraServer> {
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(opts.command, opts.args, { stdio: 'ignore' });
    await listening(opts.port, 20_000, opts.name);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    name: opts.name,
    url: opts.url,
    start,
    stop,
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      await stop();
      rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}

/** Start the three private servers. */
export async function startPrivateInfra(): Promise<{ servers: InfraServer[]; env: Record<string, string>; destroy(): Promise<void> }> {
  const pg: PrivatePostgres = await startPrivatePostgres({ name: 'chaos' });
  const redisPort = await freePort();
  const redisDir = mkdtempSync(join(tmpdir(), 'bazaar-chaos-redis-'));
  const redis = await childServer({
    name: 'redis',
    url: `redis://127.0.0.1:${redisPort}`,
    port: redisPort,
    command: 'redis-server',
    // appendonly: carts survive the restart, as they would on a production Redis.
    args: ['--bind', '127.0.0.1', '--port', String(redisPort), '--dir', redisDir, '--save', '', '--appendonly', 'yes', '--protected-mode', 'no'],
    dir: redisDir,
  });
  const natsPort = await freePort();
  const natsDir = mkdtempSync(join(tmpdir(), 'bazaar-chaos-nats-'));
  const nats = await childServer({ name: 'nats', url: `nats://127.0.0.1:${natsPort}`, port: natsPort, command: 'nats-server', args: ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', natsDir], dir: natsDir });
  const postgres: InfraServer = {
    name: 'postgres',
    url: pg.url.replace(/\/postgres$/, ''),
    restart: () => pg.restart(),
    stop: () => pg.stop(),
    start: () => pg.start(),
    destroy: () => pg.destroy(),
  };
  const servers = [postgres, redis, nats];
  return {
    servers,
    env: { BAZAAR_POSTGRES_URL: postgres.url, REDIS_URL: redis.url, NATS_URL: nats.url },
    async destroy() {
      await Promise.allSettled(servers.map((s) => s.destroy()));
    },
  };
}
