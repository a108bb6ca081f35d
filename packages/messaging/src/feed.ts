import { Type } from 'typebox';
import type { Kysely } from 'kysely';
import { requireService, type ServiceApp } from '@bazaar/kit';
import { AnyCloudEvent } from '@bazaar/contracts/events';
import { readOutbox, type OutboxTables } from './outbox.ts';

const FeedQuery = Type.Object(
  {
    after: Type.Integer({ minimum: 0, default: 0, description: 'Return events with sequence > after' }),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    waitMs: Type.Integer({ minimum: 0, maximum: 25_000, default: 0, description: 'Long-poll: wait up to this long for a first event' }),
  },
  { additionalProperties: false },
);

const FeedPage = Type.Object({ events: Type.Array(AnyCloudEvent), next: Type.Integer() });

/** How often a waiting long-poll looks at the outbox again. */
const POLL_MS = 50;

/**
 * The embedded transport's producer side: `GET /internal/events` serves the
 * outbox to consumers, oldest first, after a cursor, long-polling when there
 * is nothing new. Internal only (service credential); never routed by the gateway.
 */
export function eventFeedRoutes<DB extends OutboxTables>(deps: { db: Kysely<DB>; serviceToken: string }) {
  return async (app: ServiceApp) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.get(
      '/internal/events',
      { preHandler: requireService(deps.serviceToken), schema: { hide: true, querystring: FeedQuery, response: { 200: FeedPage } } },
      async (request) => {
        const { after, limit, waitMs } = request.query as { after: number; limit: number; waitMs: number };
        const until = Date.now() + (waitMs ?? 0);
        for (;;) {
          const events = await readOutbox(deps.db, after ?? 0, limit ?? 100);
          if (events.length > 0 || Date.now() >= until || closing || request.raw.destroyed) {
            return { events, next: events.at(-1)?.sequence ?? after ?? 0 };
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      },
    );
  };
}
