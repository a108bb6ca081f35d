export type { AnyCloudEvent, EventTransport, NewEvent, SubscribeOptions, Subscription } from './types.ts';
export { appendEvent, outboxHead, outboxMigration, readOutbox, type OutboxTables } from './outbox.ts';
export { eventFeedRoutes } from './feed.ts';
export { cursorStore, handleOnce, inboxMigration, type CursorStore, type InboxTables } from './inbox.ts';
export { createHttpFeedTransport, retryDelayMs, type HttpFeedTransportOptions } from './http-transport.ts';
export { startConsumer, type Handlers } from './consumer.ts';
