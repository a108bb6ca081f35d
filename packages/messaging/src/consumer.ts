import type { Kysely, Transaction } from 'kysely';
import { firstViolation, type Logger } from '@bazaar/kit';
import { EventTypes, type EventData, type EventType } from '@bazaar/contracts/events';
import { handleOnce, type InboxTables } from './inbox.ts';
import type { AnyCloudEvent, EventTransport, Subscription } from './types.ts';

/** Handlers by event type; each runs inside the transaction that records the event as handled. */
export type Handlers<DB> = {
  [T in EventType]?: (data: EventData<T>, event: AnyCloudEvent, trx: Transaction<DB>) => Promise<void>;
};

/**
 * Subscribe a service to one source's events with exactly-once effect:
 * duplicates are skipped through the inbox; data is checked against the
 * event's contract first. Types without a handler are acknowledged.
 */
export function startConsumer<DB extends InboxTables>(opts: {
  db: Kysely<DB>;
  transport: EventTransport;
  consumer: string;
  source: string;
  handlers: Handlers<DB>;
  logger: Logger;
}): Subscription {
  const log = opts.logger.child({ consumer: opts.consumer, source: opts.source });
  return opts.transport.subscribe({
    source: opts.source,
    consumer: opts.consumer,
    async handle(event) {
      const handler = opts.handlers[event.type as EventType] as
        | ((data: unknown, event: AnyCloudEvent, trx: Transaction<DB>) => Promise<void>)
        | undefined;
      if (!handler) return;
      const schema = EventTypes[event.type as EventType];
      const problem = firstViolation(schema, event.data);
      if (problem !== undefined) {
        // A malformed event can never succeed: log it loudly and move on rather than block the stream.
        log.error({ eventId: event.id, type: event.type, problem }, 'event does not match its contract; skipped');
        return;
      }
      const outcome = await handleOnce(opts.db, event, (trx) => handler(event.data, event, trx));
      log.debug({ eventId: event.id, type: event.type, outcome }, 'event handled');
    },
  });
}
