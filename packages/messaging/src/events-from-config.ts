import type { Logger, ReadinessCheck } from '@bazaar/kit';
import { createHttpFeedTransport, type HttpFeedTransportOptions } from './http-transport.ts';
import type { OutboxTables } from './outbox.ts';
import type { RelayStore } from './relay-store.ts';
import type { EventTransport } from './types.ts';
import type { NatsSettings } from './jetstream/config.ts';
import { connectJetStream } from './jetstream/connection.ts';
import { startOutboxRelay, type OutboxRelay } from './jetstream/relay.ts';
import { createJetStreamTransport, type JetStreamTransportOptions } from './jetstream/transport.ts';

export interface ServiceEventsOptions<DB extends OutboxTables> {
  /** This service's name (its NATS connection's name in the server's monitoring). */
  service: string;
  /** The service's loaded config, with the NatsConfig keys. */
  config: NatsSettings;
  logger: Logger;
  /** Consumers: the embedded feed's settings, used while NATS_URL is unset. */
  feeds?: Omit<HttpFeedTransportOptions, 'logger'>;
  /** Producers: the store whose outbox is relayed to JetStream when NATS_URL is set (it needs outboxRelayMigration). */
  outbox?: RelayStore<DB>;
  /** Tuning of the JetStream consumers (tests, or trading order for throughput). */
  jetstream?: Pick<JetStreamTransportOptions, 'maxAckPending' | 'ackWaitMs' | 'fetchExpiresMs'>;
}

/** A service's event plumbing, whichever transport its config chose. */
export interface ServiceEvents {
  mode: 'embedded' | 'jetstream';
  /** Pass to startConsumer. */
  transport: EventTransport;
  /** The outbox relay (JetStream mode, producers only). */
  relay?: OutboxRelay;
  /** A /readyz check (JetStream mode): NATS connected and answering. */
  readiness?: ReadinessCheck;
  /** Stop the relay (publishing what is left) and close the NATS connection. Call after consumers stop, before the store closes. */
  close(): Promise<void>;
}

const noFeeds: EventTransport = {
  subscribe(sub) {
    throw new Error(`No event feeds configured: cannot subscribe ${sub.consumer} to ${sub.source}`);
  },
};

/**
 * Choose the event transport from config: NATS JetStream when NATS_URL is
 * set (a durable consumer per consuming service, and for producers a relay
 * from the outbox to the service's stream), else the embedded HTTP feed.
 * Returns at once: the NATS connection is made, and kept, in the background.
 */
export function eventTransportFromConfig<DB extends OutboxTables>(opts: ServiceEventsOptions<DB>): ServiceEvents {
  const url = opts.config.NATS_URL;
  if (!url) {
    return {
      mode: 'embedded',
      transport: opts.feeds ? createHttpFeedTransport({ ...opts.feeds, logger: opts.logger }) : noFeeds,
      // The embedded feed serves the outbox itself: no relay, no connection to close.
      close: async () => undefined,
    };
  }
  const connection = connectJetStream({ url, prefix: opts.config.NATS_STREAM_PREFIX, logger: opts.logger, name: `bazaar-${opts.service}` });
  const transport = createJetStreamTransport({ connection, logger: opts.logger, maxDeliver: opts.config.NATS_MAX_DELIVER, ...opts.jetstream });
  const relay = opts.outbox ? startOutboxRelay({ store: opts.outbox, connection, logger: opts.logger }) : undefined;
  return {
    mode: 'jetstream',
    transport,
    ...(relay ? { relay } : {}),
    readiness: () => connection.check(),
    async close() {
      await relay?.stop();
      await connection.close();
    },
  };
}
