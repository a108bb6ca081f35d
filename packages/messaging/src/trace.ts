import { SpanKind, contextOf, failSpan, remoteParent, startSpan, withContext, type Span } from '@bazaar/kit';
import type { AnyCloudEvent } from './types.ts';

/** A CONSUMER span for one event, child of the change that produced it (see consumeInTrace). */
export function consumerSpan(opts: { event: AnyCloudEvent; consumer: string; system: 'http-feed' | 'nats'; traceparent?: string | undefined; attempt?: number; batchSize?: number }): Span {
  const { event } = opts;
  return startSpan(`consume ${event.type}`, {
    kind: SpanKind.CONSUMER,
    parent: remoteParent(opts.traceparent || event.traceparent),
    attributes: {
      'messaging.system': opts.system === 'nats' ? 'nats' : 'bazaar-http-feed',
      'messaging.operation.type': 'process',
      'messaging.destination.name': event.source,
      'messaging.consumer.group.name': opts.consumer,
      'messaging.message.id': event.id,
      'cloudevents.event_type': event.type,
      'cloudevents.event_subject': event.subject ?? '',
      'bazaar.event.sequence': event.sequence,
      ...(opts.attempt === undefined ? {} : { 'bazaar.delivery.attempt': opts.attempt }),
      ...(opts.batchSize === undefined ? {} : { 'messaging.batch.message_count': opts.batchSize }),
    },
  });
}

/**
 * Run a consumer's handling of one event in a CONSUMER span whose parent is
 * the change that produced it: the transport's header (NATS `traceparent`)
 * or the envelope's CloudEvents distributed-tracing extension. So the
 * consumer's work, its queries and its log lines belong to the producer's
 * trace, one hop further down.
 */
export async function consumeInTrace<T>(opts: { event: AnyCloudEvent; consumer: string; system: 'http-feed' | 'nats'; traceparent?: string | undefined; attempt?: number }, fn: () => Promise<T>): Promise<T> {
  const span = consumerSpan(opts);
  try {
    return await withContext(contextOf(span, { requestId: opts.event.id }), fn);
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}
