import type { AnyCloudEvent } from '@bazaar/contracts/events';

export type { AnyCloudEvent };

/** What a producer writes: the envelope fields are filled in by the outbox. */
export interface NewEvent {
  type: string;
  subject?: string;
  data: unknown;
}

/** A running subscription; stop() ends it and waits for the handler in progress. */
export interface Subscription {
  stop(): Promise<void>;
}

export interface SubscribeOptions {
  /** The producing service, e.g. "orders". */
  source: string;
  /** The consuming service; instances of one consumer share its position. */
  consumer: string;
  /**
   * Called once per delivery, in order per source. Resolve to acknowledge;
   * throw to have the same event delivered again (later events wait).
   */
  handle(event: AnyCloudEvent): Promise<void>;
  /**
   * Optional: called instead of `handle` with several events at once, in
   * order (a feed page; a JetStream fetch), so a consumer can apply them in
   * one transaction. Resolve to acknowledge them all. Throw and none is
   * acknowledged: the same events are then delivered again one at a time
   * through `handle` (with its retry and, on JetStream, dead-letter rules),
   * so one bad event cannot hold back or take down its neighbours; batches
   * resume after them.
   */
  handleBatch?(events: AnyCloudEvent[]): Promise<void>;
}

/**
 * How events travel from a producer's outbox to a consumer. At-least-once:
 * an event may arrive more than once, never not at all; consumers make the
 * effect exactly-once with the inbox (handleOnce). Implementations: the
 * embedded HTTP feed (default) and NATS JetStream (infrastructure issue); both
 * must pass the conformance suite in ./conformance.ts.
 */
export interface EventTransport {
  subscribe(opts: SubscribeOptions): Subscription;
}
