import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type PubAck, type StreamConfig } from '@nats-io/jetstream';
import { headers, nanos, type MsgHdrs } from '@nats-io/transport-node';
import { SpanKind, currentContext, failSpan, formatTraceparent, remoteParent, startSpan } from '@bazaar/kit';
import type { AnyCloudEvent } from '../types.ts';
import type { NatsNames } from './config.ts';
import type { NatsHandles } from './connection.ts';

/**
 * How long JetStream remembers a Nats-Msg-Id to drop a re-publish. A relay
 * that crashed between publishing and marking re-publishes within seconds of
 * restarting; past the window a duplicate can land in the stream, and the
 * consumers' inbox (keyed by the same event id) still makes it harmless.
 */
export const DUPLICATE_WINDOW_MS = 60 * 60 * 1000;

/** Headers Bazaar sets besides Nats-Msg-Id and traceparent. */
export const Headers = {
  contentType: 'Content-Type',
  traceparent: 'traceparent',
  /** On a replayed dead letter: only this consumer handles it; others acknowledge it unseen. */
  replayFor: 'Bazaar-Replay-For',
} as const;

/** CloudEvents structured mode: the whole envelope is the body. */
const CONTENT_TYPE = 'application/cloudevents+json';

type StreamSettings = Partial<StreamConfig> & { name: string };

/** The stream of one producing service: its events, kept (limits retention, no age limit) like its outbox. */
export function sourceStreamConfig(names: NatsNames, source: string, replicas = 1): StreamSettings {
  return {
    name: names.stream(source),
    subjects: [names.streamSubjects(source)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: replicas,
  };
}

/** The one dead-letter stream: events that exhausted their handler attempts, per consumer and source. */
export function deadLetterStreamConfig(names: NatsNames, replicas = 1): StreamSettings {
  return {
    name: names.deadLetterStream,
    subjects: [names.deadLetterSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    num_replicas: replicas,
  };
}

/** 10058: "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

/**
 * Create a stream if it is missing. `owner` (the producer for its stream)
 * also brings an existing stream's config up to date; others leave it as
 * found, so an older consumer never fights a newer producer over settings.
 */
export async function ensureStream(jsm: JetStreamManager, config: StreamSettings, opts: { owner: boolean }): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NAME_IN_USE) throw error;
    if (opts.owner) await jsm.streams.update(config.name, config);
  }
}

/** The trace context an event carries to its consumers: its own (from the outbox), else the current one. */
export function traceparentOf(event: AnyCloudEvent): string | undefined {
  if (event.traceparent) return event.traceparent;
  const ctx = currentContext();
  return ctx ? formatTraceparent(ctx.traceId, ctx.spanId) : undefined;
}

/**
 * Publish one CloudEvent to its source's stream and wait for JetStream to
 * store it. The event id is the Nats-Msg-Id, so publishing the same event
 * again within the duplicate window stores nothing (`duplicate: true`).
 */
export async function publishEvent(handles: NatsHandles, names: NatsNames, event: AnyCloudEvent, opts: { timeoutMs?: number } = {}): Promise<PubAck> {
  const h: MsgHdrs = headers();
  h.set(Headers.contentType, CONTENT_TYPE);
  const traceparent = traceparentOf(event);
  if (traceparent) h.set(Headers.traceparent, traceparent);
  const subject = names.subject(event.source, event.type);
  // The send, as OpenTelemetry's messaging conventions have it: a CLIENT span (the message's creation
  // context is the PRODUCER span the outbox wrote, which the header carries on to the consumers), child of
  // that PRODUCER span, so the relay's hop to NATS shows in the change's trace. An untraced event gets none.
  const span = traceparent
    ? startSpan(`send ${names.stream(event.source)}`, {
        kind: SpanKind.CLIENT,
        parent: remoteParent(traceparent),
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'publish',
          'messaging.destination.name': subject,
          'messaging.message.id': event.id,
          'cloudevents.event_type': event.type,
        },
      })
    : undefined;
  try {
    const ack = await handles.js.publish(subject, JSON.stringify(event), { msgID: event.id, headers: h, timeout: opts.timeoutMs ?? 5000 });
    if (span?.isRecording()) span.setAttributes({ 'bazaar.nats.stream.sequence': ack.seq, 'bazaar.nats.duplicate': ack.duplicate });
    return ack;
  } catch (error) {
    if (span) failSpan(span, error);
    throw error;
  } finally {
    span?.end();
  }
}
