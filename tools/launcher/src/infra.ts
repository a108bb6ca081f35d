/**
 * `npm run start:infra` (`--infra`): run every service against local
 * PostgreSQL, Redis and NATS JetStream. Fills in the local URLs the user did
 * not set, and checks that each server answers — speaking just enough of its
 * protocol to tell a PostgreSQL, Redis or NATS-with-JetStream server from
 * something else on the port — before any service starts.
 */
import { connect } from 'node:net';

export interface InfraTarget {
  /** PostgreSQL, Redis, NATS. */
  what: string;
  variable: 'BAZAAR_POSTGRES_URL' | 'REDIS_URL' | 'NATS_URL';
  url: string;
  /** True when the URL came from the environment rather than the local default. */
  fromEnv: boolean;
}

/** The local servers `--infra` uses unless the environment names others. */
export const INFRA_DEFAULTS = {
  BAZAAR_POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432',
  REDIS_URL: 'redis://127.0.0.1:6379',
  NATS_URL: 'nats://127.0.0.1:4222',
} as const;

const WHAT = { BAZAAR_POSTGRES_URL: 'PostgreSQL', REDIS_URL: 'Redis', NATS_URL: 'NATS JetStream' } as const;

/** How to start each one locally (Debian/Ubuntu packages; .ci/infra does all three). */
const HOW_TO_START: Record<InfraTarget['variable'], string> = {
  BAZAAR_POSTGRES_URL: 'sudo pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (package postgresql; trust auth for user postgres on 127.0.0.1)',
  REDIS_URL: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no   (package redis-server)',
  NATS_URL: 'nats-server -js -a 127.0.0.1 -p 4222 -sd /tmp/nats-js &   (package nats-server; -js turns JetStream on)',
};

/** The environment with the local defaults filled in, and what was chosen. */
export function infraEnv(env: Record<string, string | undefined>): { env: Record<string, string | undefined>; targets: InfraTarget[] } {
  const out = { ...env };
  const targets = (Object.keys(INFRA_DEFAULTS) as InfraTarget['variable'][]).map((variable) => {
    const given = env[variable];
    const url = given || INFRA_DEFAULTS[variable];
    out[variable] = url;
    return { what: WHAT[variable], variable, url, fromEnv: Boolean(given) };
  });
  return { env: out, targets };
}

/** A URL without its password, for messages. */
export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

/** host and port of the first server in a URL (NATS_URL may list several). */
function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const first = url.split(',')[0]?.trim() ?? url;
  const parsed = new URL(/^[a-z]+:\/\//i.test(first) ? first : `nats://${first}`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port ? Number(parsed.port) : defaultPort };
}

/** Open a TCP connection, optionally write a probe, and return the first bytes the server sends. */
function exchange(target: { host: string; port: number }, probe: Buffer | string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let data = '';
    socket.once('connect', () => {
      if (probe !== undefined) socket.write(probe);
    });
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\n') || probe !== undefined) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data);
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(error.code ?? error.message));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      if (data === '') reject(new Error('the connection was closed without an answer'));
    });
  });
}

/** Only open a TCP connection (for TLS ports, where a plain-text probe means nothing). */
function reach(target: { host: string; port: number }, timeoutMs: number): Promise<undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...target, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => reject(new Error(error.code ?? error.message)));
  });
}

/** PostgreSQL's SSLRequest: any PostgreSQL answers it with one byte, 'S' or 'N', before authentication. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** Why this target is not usable, or undefined when it answers as it should. */
async function problem(target: InfraTarget, timeoutMs: number): Promise<string | undefined> {
  try {
    switch (target.variable) {
      case 'BAZAAR_POSTGRES_URL': {
        const answer = await exchange(hostPort(target.url, 5432), SSL_REQUEST, timeoutMs);
        return answer[0] === 'S' || answer[0] === 'N' ? undefined : 'something answered, but not PostgreSQL';
      }
      case 'REDIS_URL': {
        // rediss:// is TLS: a plain PING would not be understood; reaching the port is all we check.
        if (target.url.startsWith('rediss://')) return await reach(hostPort(target.url, 6379), timeoutMs);
        const answer = await exchange(hostPort(target.url, 6379), 'PING\r\n', timeoutMs);
        // -NOAUTH: a Redis that wants the password the URL carries; the services will send it.
        return /^(\+PONG|-NOAUTH)/.test(answer) ? undefined : `something answered, but not Redis (${JSON.stringify(answer.slice(0, 40))})`;
      }
      case 'NATS_URL': {
        const answer = await exchange(hostPort(target.url, 4222), undefined, timeoutMs);
        const info = /^INFO\s+(\{.*\})/.exec(answer);
        if (!info) return 'something answered, but not NATS';
        const server = JSON.parse(info[1] as string) as { jetstream?: boolean; version?: string };
        return server.jetstream ? undefined : `NATS ${server.version ?? ''} runs without JetStream: restart it with -js (and -sd <dir>)`;
      }
    }
  } catch (error) {
    const why = (error as Error).message;
    // A socket error code (ECONNREFUSED, EHOSTUNREACH…) means nothing listens; anything else, that something odd does.
    return /^E[A-Z]+$/.test(why) ? `not reachable (${why})` : `no proper answer (${why})`;
  }
}

/** Check every target; one message per problem, each saying how to fix it. */
export async function checkInfra(targets: InfraTarget[], timeoutMs = 2000): Promise<string[]> {
  const found = await Promise.all(targets.map(async (t) => ({ t, why: await problem(t, timeoutMs) })));
  return found.flatMap(({ t, why }) => {
    if (why === undefined) return [];
    const fix = t.fromEnv ? `check ${t.variable}` : `start it:\n      ${HOW_TO_START[t.variable]}\n    or set ${t.variable} to one that runs`;
    return [`${t.what} at ${maskUrl(t.url)} (${t.variable}${t.fromEnv ? '' : ', the local default'}): ${why}; ${fix}`];
  });
}
