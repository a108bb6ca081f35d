import { AckPolicy, DeliverPolicy, ReplayPolicy, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { AnyCloudEvent as CloudEventSchema } from '@bazaar/contracts/events';
import { checkerOf, failSpan, firstViolation, type Logger } from '@bazaar/kit';
import { consumeInTrace, consumerSpan } from '../trace.ts';
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
  /**
   * Most events per batch for subscribers that take batches (handleBatch).
   * Such a durable allows this many unacknowledged events: one instance
   * holds a batch at a time in order; with several instances, each may hold
   * one (the inbox keeps the effect exactly-once). Default 100.
   */
  batchSize?: number;
}

/** Parse a message body as a CloudEvent envelope; throws saying what is wrong. */
function parseEvent(msg: JsMsg): AnyCloudEvent {
  const value: unknown = JSON.parse(msg.string());
  if (!checkerOf(CloudEventSchema).Check(value)) throw new Error(`not a CloudEvent: ${firstViolation(CloudEventSchema, value) ?? ''}`.trim());
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
  const batchSize = Math.max(1, opts.batchSize ?? 100);
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
          max_ack_pending: sub.handleBatch ? Math.max(maxAckPending, batchSize) : maxAckPending,
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

      /** True when the event is done with (stored as a dead letter and acknowledged); false when it will come again. */
      async function deadLetter(h: NatsHandles, msg: JsMsg, cause: { eventId: string; type: string; error: string }): Promise<boolean> {
        const deliveries = msg.info.deliveryCount;
        try {
          await writeDeadLetter(h, names, msg, { ...cause, consumer: sub.consumer, source: sub.source, deliveries });
          log.error({ ...cause, deliveries, streamSeq: msg.seq, deadLetters: names.deadLetterStream }, 'event dead-lettered; later events continue');
          await ack(msg, cause.eventId);
          return true;
        } catch (error) {
          // Not stored as a dead letter, so not given up: it comes again and holds the line until it can be.
          log.error({ err: error, eventId: cause.eventId }, 'could not dead-letter the event; will retry');
          msg.nak(retryDelayMs(deliveries));
          return false;
        }
      }

      /** Handle one event through `handle`; true when it is acknowledged (or dead-lettered), false when it will come again. */
      async function handleMessage(h: NatsHandles, msg: JsMsg): Promise<boolean> {
        const attempt = msg.info.deliveryCount;
        const replayFor = msg.headers?.get(Headers.replayFor);
        if (replayFor && replayFor !== sub.consumer) {
          await ack(msg, `(replay for ${replayFor})`);
          return true;
        }
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
          return false;
        } finally {
          clearInterval(keepAlive);
        }
        await ack(msg, event.id);
        return true;
      }

      /** One at a time, in order; after a failure the rest go back too (same delay), so none overtakes it. */
      async function handleInTurn(h: NatsHandles, msgs: JsMsg[]): Promise<void> {
        for (const [i, msg] of msgs.entries()) {
          if (abort.signal.aborted || !(await handleMessage(h, msg))) {
            const delay = abort.signal.aborted ? 0 : retryDelayMs(msg.info.deliveryCount);
            for (const rest of msgs.slice(i + (abort.signal.aborted ? 0 : 1))) rest.nak(delay);
            return;
          }
        }
      }

      /**
       * Batch mode: after the first message, fetch what is already waiting
       * (the server says how many: info.pending), up to the batch size, and
       * hand the clean ones (first delivery, valid envelope, not a replay for
       * another consumer) to handleBatch; anything else, or a failed batch,
       * goes one at a time through handleMessage with its retry and dead-letter rules.
       */
      async function handleBatchFrom(h: NatsHandles, consumer: Consumer, first: JsMsg): Promise<void> {
        const msgs = [first];
        const more = Math.min(batchSize - 1, first.info.pending);
        if (more > 0 && !abort.signal.aborted) {
          // They are waiting, so this returns at once (within 1 s if another instance took some).
          const rest = await consumer.fetch({ max_messages: more, expires: 1000 });
          batch = rest;
          for await (const msg of rest) msgs.push(msg);
        }
        const events: AnyCloudEvent[] = [];
        for (const msg of msgs) {
          let event: AnyCloudEvent | undefined;
          try {
            if (msg.info.deliveryCount === 1 && !msg.headers?.get(Headers.replayFor)) event = parseEvent(msg);
          } catch {
            event = undefined;
          }
          if (!event) return handleInTurn(h, msgs);
          events.push(event);
        }
        if (abort.signal.aborted) {
          for (const msg of msgs) msg.nak();
          return;
        }
        const keepAlive = setInterval(() => msgs.forEach((m) => m.working()), Math.max(500, Math.floor(ackWaitMs / 3)));
        // One CONSUMER span per event, each the child of its producer's change (the NATS header), around the shared batch work.
        const spans = events.map((event, i) =>
          consumerSpan({ event, consumer: sub.consumer, system: 'nats', traceparent: msgs[i]?.headers?.get(Headers.traceparent), attempt: 1, batchSize: events.length }),
        );
        try {
          await (sub.handleBatch as (events: AnyCloudEvent[]) => Promise<void>)(events);
          for (const span of spans) span.end();
        } catch (error) {
          clearInterval(keepAlive);
          for (const span of spans) {
            failSpan(span, error);
            span.end();
          }
          log.error({ err: error, first: events[0]?.id, count: events.length }, 'batch handler failed; handling its events one at a time');
          return handleInTurn(h, msgs);
        } finally {
          clearInterval(keepAlive);
        }
        await Promise.all(msgs.map((msg, i) => ack(msg, (events[i] as AnyCloudEvent).id)));
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
            // stop() may have closed the previous pull while this one was being opened: close this one
            // too. Not awaited: the client finishes closing a pull only as it is iterated (below), so
            // awaiting here would wait for ever (and stop() with it).
            if (abort.signal.aborted) void pull.close();
            for await (const msg of pull) {
              // Stopping: hand it back at once rather than let it wait out the ack wait.
              if (abort.signal.aborted) msg.nak();
              else if (sub.handleBatch) await handleBatchFrom(h, consumer, msg);
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
