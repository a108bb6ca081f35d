// Shared by the JetStream tests: a real nats-server with JetStream must be
// reachable (CI starts one). Without it the tests fail, saying how to start it;
// they never skip.
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Type, loadConfig } from '@bazaar/kit';
import { testLogger } from '@bazaar/kit/testing';
import { openStore, type Store } from '@bazaar/store';
import { connectJetStream, outboxMigration, outboxRelayMigration, type JetStreamConnection, type OutboxTables } from '../src/index.ts';

/** The server the tests use: NATS_URL, default the local one. */
export const NATS_URL = loadConfig(Type.Object({ NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }) })).NATS_URL;

const HOW_TO_START =
  'These tests need a real nats-server (2.9 or later) with JetStream. Start one with ' +
  '`nats-server -js -a 127.0.0.1 -p 4222 -sd /tmp/nats-js` (CI starts it), or set NATS_URL to one.';

let checked: Promise<void> | undefined;

/** Throw a clear error unless NATS with JetStream answers at NATS_URL. */
export function requireNats(): Promise<void> {
  checked ??= (async () => {
    let nc;
    try {
      nc = await connect({ servers: NATS_URL, timeout: 2000, maxReconnectAttempts: 0 });
    } catch (error) {
      throw new Error(`NATS is not reachable at ${NATS_URL} (${(error as Error).message}). ${HOW_TO_START}`, { cause: error });
    }
    try {
      await jetstreamManager(nc);
    } catch (error) {
      throw new Error(`NATS at ${NATS_URL} has no JetStream (${(error as Error).message}). ${HOW_TO_START}`, { cause: error });
    } finally {
      await nc.close();
    }
  })();
  return checked;
}

/** A stream prefix no other run uses, so runs never collide and cleanup removes only ours. */
export function testPrefix(): string {
  return `t${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Delete every stream named with `prefix` (their consumers go with them). */
export async function removeStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}_`)) names.push(name);
    for (const name of names) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

/** A connection for one simulated process (its own NATS connection), closed by `closeAll`. */
export function connections(prefix: string) {
  const opened: JetStreamConnection[] = [];
  return {
    open(name = 'test'): JetStreamConnection {
      const c = connectJetStream({ url: NATS_URL, prefix, logger: testLogger(), name });
      opened.push(c);
      return c;
    },
    async closeAll(): Promise<void> {
      await Promise.all(opened.map((c) => c.close()));
    },
  };
}

/** A producer's store with the outbox and the relay's columns. */
export function producerStore(location: { dataDir: string; inMemory?: boolean } = { dataDir: '', inMemory: true }): Promise<Store<OutboxTables>> {
  return openStore<OutboxTables>({ service: 'producer', ...location, migrations: { '0001_outbox': outboxMigration, '0002_outbox_relay': outboxRelayMigration } });
}

/**
 * Cleanup that runs before anything registered later with `t.after` (hooks
 * run in registration order): streams are removed and stores closed before a
 * test database is dropped. Every step runs even if one fails; the first
 * failure is rethrown.
 */
export function cleanupFirst(t: { after(fn: () => Promise<void>): void }): (step: () => Promise<unknown>) => void {
  const steps: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    const failures: unknown[] = [];
    for (const step of steps) await step().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });
  return (step) => void steps.push(step);
}
