import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '@bazaar/kit';
import { natsNames, type NatsNames } from './config.ts';
import { retryDelayMs } from '../http-transport.ts';

/** A live connection with its JetStream contexts. */
export interface NatsHandles {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** One service's connection to NATS JetStream, shared by its relay, its subscriptions and its readiness check. */
export interface JetStreamConnection {
  names: NatsNames;
  /** The live connection; waits while NATS is unreachable (rejects only once closed). */
  ready(): Promise<NatsHandles>;
  /** For /readyz: throws unless connected and answering within a second. */
  check(): Promise<void>;
  /** Close the connection (waits for nothing else: stop subscriptions and the relay first). */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** NATS_URL: one server or several, comma-separated. */
  url: string;
  /** NATS_STREAM_PREFIX. */
  prefix?: string;
  logger: Logger;
  /** Shown by the server's monitoring (connz); e.g. `bazaar-orders`. */
  name?: string;
}

/**
 * Connect in the background and keep reconnecting forever: a service starts
 * (and serves HTTP, and writes its outbox) while NATS is down, and its events
 * flow once NATS is back. The client reconnects by itself after a first
 * successful connection; this loop covers the first one.
 */
export function connectJetStream(opts: ConnectOptions): JetStreamConnection {
  const log = opts.logger.child({ component: 'nats' });
  const servers = opts.url.split(',').map((s) => s.trim());
  let closed = false;
  let handles: NatsHandles | undefined;
  let settle: { resolve(h: NatsHandles): void; reject(e: Error): void } | undefined;
  const connected = new Promise<NatsHandles>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Nobody may be waiting when close() rejects it.
  connected.catch(() => undefined);

  const loop = (async () => {
    for (let attempt = 1; !closed; attempt++) {
      let nc: NatsConnection | undefined;
      try {
        nc = await connect({ servers, name: opts.name ?? 'bazaar', maxReconnectAttempts: -1, reconnectTimeWait: 1000, timeout: 5000 });
        // jetstreamManager() asks the server for the account's JetStream info: fails clearly when JetStream is off.
        const jsm = await jetstreamManager(nc);
        if (closed) {
          await nc.close();
          return;
        }
        handles = { nc, js: jetstream(nc), jsm };
        log.info({ servers, server: nc.info?.version, attempts: attempt }, 'connected to NATS JetStream');
        settle?.resolve(handles);
        void watch(nc, log);
        return;
      } catch (error) {
        await nc?.close().catch(() => undefined);
        if (attempt === 1 || attempt % 20 === 0) log.warn({ err: (error as Error).message, servers, attempts: attempt }, 'NATS JetStream unreachable; retrying');
        await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
      }
    }
  })();

  return {
    names: natsNames(opts.prefix ?? ''),
    ready: () => connected,
    async check() {
      if (!handles || handles.nc.isClosed()) throw new Error('not connected to NATS');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('NATS did not answer a ping within 1 s')), 1000);
      });
      try {
        await Promise.race([handles.nc.rtt(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closed = true;
      settle?.reject(new Error('the NATS connection was closed'));
      await loop;
      // drain() would flush acks and publishes in flight; callers stop their work first, so close is enough.
      if (handles && !handles.nc.isClosed()) await handles.nc.close();
    },
  };
}

/** Log connection state changes: an operator sees NATS outages in every service's log. */
async function watch(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') log.warn({ server: status.server }, 'disconnected from NATS; reconnecting');
    else if (status.type === 'reconnect') log.info({ server: status.server }, 'reconnected to NATS');
    else if (status.type === 'error') log.error({ err: String(status.error) }, 'NATS connection error');
  }
}
