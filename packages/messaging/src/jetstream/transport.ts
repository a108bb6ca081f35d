import { AckPolicy, DeliverPolicy, ReplayPolicy, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { Value } from 'typebox/value';
import { AnyCloudEvent as CloudEventSchema } from '@bazaar/contracts/events';
import type { Logger } from '@bazaar/kit';
import { consumeInTrace } from '../trace.ts';
import { retryDelayMs } from '../http-transport.ts';
import type { AnyCloudEvent, EventTransport, SubscribeOptions, Subscription } from '../types.ts';
import type { JetStreamConnection, NatsHandles } from './connection.ts';
import { writeDeadLetter } from './dead-letters.ts';
import { Headers, ensureStream, sourceStreamConfig } from './streams.ts';
import { sleep } from '../sleep.ts';

export interface JetStreamTransportOptions {
  connection: JetStreamConnection;
  logger: Logger;
  /** Handler attempts per event before it is dead-lettered (NATS_MAX_DELIVER). Default 5. */
  maxDeliver?: number;
  /**
   * Unacknowledged events per durable consumer, across all its instances.
   * Default 1: events are handled one at a time, in order, and a failing one
   * holds back the ones after it (the embedded feed's semantics). More trades
   * that order for throughput.
   */
  maxAckPending?: number;
  /** How long the server waits for an ack before redelivering; a running handler keeps extending it. Default 30 s. */
  ackWaitMs?: number;
  /** How long one pull request waits for a message. Default 30 s (the client's default). */
  fetchExpiresMs?: number;
}

/** Parse a message body as a CloudEvent envelope; throws saying what is wrong. */
function parseEvent(msg: JsMsg): AnyCloudEvent {
  const value: unknown = JSON.parse(msg.string());
  if (!Value.Check(CloudEventSchema, value)) {
    const first = Value.Errors(CloudEventSchema, value)[0];
    throw new Error(`not a CloudEvent: ${first?.instancePath ?? ''} ${first?.message ?? ''}`.trim());
  }
  return value;
}

/**
 * The production transport: each source is a JetStream stream, each consumer
 * a durable pull consumer shared by all instances of the consuming service
 * (explicit ack, one event in flight by default). A handler that throws gets
 * the event again after a backoff (nak with delay); after `maxDeliver`
 * attempts the event is copied to the dead-letter stream and acknowledged,
 * and the events after it flow again. Attempts are counted by the server
 * (deliveryCount), so they add up across instances and restarts; a delivery
 * that was never acknowledged (the process died, or the ack timed out)
 * counts as a failed attempt.
 */
export function createJetStreamTransport(opts: JetStreamTransportOptions): EventTransport {
  const maxDeliver = opts.maxDeliver ?? 5;
  const maxAckPending = opts.maxAckPending ?? 1;
  const ackWaitMs = opts.ackWaitMs ?? 30_000;
  const fetchExpiresMs = opts.fetchExpiresMs ?? 30_000;
  const names = opts.connection.names;
  return {
    subscribe(sub: SubscribeOptions): Subscription {
      const durable = names.durable(sub.consumer);
      const stream = names.stream(sub.source);
      const log = opts.logger.child({ source: sub.source, consumer: sub.consumer, transport: 'jetstream' });
      const abort = new AbortController();
      let batch: ConsumerMessages | undefined;

      async function attach(h: NatsHandles): Promise<Consumer> {
        await ensureStream(h.jsm, sourceStreamConfig(names, sub.source), { owner: false });
        // Adding a durable that exists updates the settings that may change (max_ack_pending, ack_wait…).
        const info = await h.jsm.consumers.add(stream, {
          durable_name: durable,
          description: `Bazaar consumer ${sub.consumer} of ${sub.source}`,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          replay_policy: ReplayPolicy.Instant,
          max_ack_pending: maxAckPending,
          ack_wait: nanos(ackWaitMs),
          // Unlimited on the server: this transport dead-letters after maxDeliver attempts
          // itself, so an event is never dropped unrecorded (see ADR 0008).
          max_deliver: -1,
        });
        return h.js.consumers.getConsumerFromInfo(info);
      }

      async function ack(msg: JsMsg, event: string): Promise<void> {
        // Wait for the server to confirm: an ack lost on a closing connection would redeliver the event.
        const confirmed = await msg.ackAck().catch(() => false);
        if (!confirmed) log.warn({ eventId: event, streamSeq: msg.seq }, 'ack not confirmed; the event may come again (the inbox drops it)');
      }

      async function deadLetter(h: NatsHandles, msg: JsMsg, cause: { eventId: string; type: string; error: string }): Promise<void> {
        const deliveries = msg.info.deliveryCount;
        try {
          await writeDeadLetter(h, names, msg, { ...cause, consumer: sub.consumer, source: sub.source, deliveries });
          log.error({ ...cause, deliveries, streamSeq: msg.seq, deadLetters: names.deadLetterStream }, 'event dead-lettered; later events continue');
          await ack(msg, cause.eventId);
        } catch (error) {
          // Not stored as a dead letter, so not given up: it comes again and holds the line until it can be.
          log.error({ err: error, eventId: cause.eventId }, 'could not dead-letter the event; will retry');
          msg.nak(retryDelayMs(deliveries));
        }
      }

      async function handleMessage(h: NatsHandles, msg: JsMsg): Promise<void> {
        const attempt = msg.info.deliveryCount;
        const replayFor = msg.headers?.get(Headers.replayFor);
        if (replayFor && replayFor !== sub.consumer) return ack(msg, `(replay for ${replayFor})`);
        let event: AnyCloudEvent;
        try {
          event = parseEvent(msg);
        } catch (error) {
          // It can never succeed: keep it for an operator rather than block the stream or drop it.
          return deadLetter(h, msg, { eventId: `(stream ${msg.info.stream} #${msg.seq})`, type: '(unknown)', error: (error as Error).message });
        }
        if (attempt > maxDeliver) {
          return deadLetter(h, msg, { eventId: event.id, type: event.type, error: `gave up after ${attempt - 1} deliveries without an ack (handler failures, crashes or ack timeouts)` });
        }
        // Tell the server we are still at it, so a slow handler is not redelivered to another instance meanwhile.
        const keepAlive = setInterval(() => msg.working(), Math.max(500, Math.floor(ackWaitMs / 3)));
        try {
          await consumeInTrace({ event, consumer: sub.consumer, system: 'nats', traceparent: msg.headers?.get(Headers.traceparent), attempt }, () => sub.handle(event));
        } catch (error) {
          clearInterval(keepAlive);
          if (attempt >= maxDeliver) {
            return deadLetter(h, msg, { eventId: event.id, type: event.type, error: (error as Error)?.message ?? String(error) });
          }
          log.error({ err: error, eventId: event.id, type: event.type, attempt, maxDeliver }, 'event handler failed; will redeliver');
          msg.nak(retryDelayMs(attempt));
          return;
        } finally {
          clearInterval(keepAlive);
        }
        await ack(msg, event.id);
      }

      const done = (async () => {
        const stopped = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }));
        stopped.catch(() => undefined);
        let consumer: Consumer | undefined;
        let failures = 0;
        while (!abort.signal.aborted) {
          try {
            const h = await Promise.race([opts.connection.ready(), stopped]);
            consumer ??= await attach(h);
            if (failures > 0) log.info({ afterFailures: failures }, 'consuming again');
            failures = 0;
            // One message per pull: nothing sits in this process's buffer that another instance could be handling.
            const pull = await consumer.fetch({ max_messages: 1, expires: fetchExpiresMs });
            batch = pull;
            // stop() may have closed the previous pull while this one was being opened.
            if (abort.signal.aborted) await pull.close();
            for await (const msg of pull) {
              // Stopping: hand it back at once rather than let it wait out the ack wait.
              if (abort.signal.aborted) msg.nak();
              else await handleMessage(h, msg);
            }
          } catch (error) {
            if (abort.signal.aborted) return;
            consumer = undefined;
            failures += 1;
            if (failures === 1 || failures % 20 === 0) log.warn({ err: (error as Error).message, failures }, 'cannot consume from JetStream; retrying');
            await sleep(retryDelayMs(failures), abort.signal);
          }
        }
      })();

      return {
        async stop() {
          abort.abort();
          await batch?.close();
          await done;
        },
      };
    },
  };
}
