import type { Kysely } from 'kysely';
import { serve, systemClock, type Clock, type ServiceApp } from '@bazaar/kit';
import { feedRoute } from '@bazaar/contracts/events';
import { msSinceLastAppend, nextAppend, readOutbox, wakeAppendWaiters, type OutboxTables } from './outbox.ts';

/**
 * A waiting long poll looks at the outbox again when this process appends an event, and besides every IDLE_POLL_MS
 * (another instance of the service may have appended: it shares the database). Right after an append it looks every
 * HOT_POLL_MS for a while: the append wakes it before the transaction commits. Looking every 50 ms all the time was
 * a fifth of an idle service's CPU, per waiting consumer (docs/performance.md).
 */
const HOT_POLL_MS = 50;
const HOT_FOR_MS = 2000;
const IDLE_POLL_MS = 250;
/** Where in each period this process's looks fall: random, so that processes do not all wake at the same instant. */
const PHASE = Math.random();

/**
 * Sleep until this process's next look: the next multiple of `every` ms (shifted by the process's phase), not `every`
 * ms from now. The long polls waiting in one process so look at the same instants, one wake-up of the process for all
 * of them, where each poll's own timer had woken it once per poll (a producer has a waiting poll per consumer).
 */
export function nextLook(clock: Clock, every: number, phase = PHASE): Promise<void> {
  const since = (((clock.now() - phase * every) % every) + every) % every;
  return clock.sleep(every - since);
}

/**
 * The embedded transport's producer side: `GET /internal/events` serves the
 * outbox to consumers, oldest first, after a cursor, long-polling when there
 * is nothing new. Internal only: the app's service credential guards it (the route's access); never routed by the gateway.
 */
export function eventFeedRoutes<DB extends OutboxTables>(deps: { db: Kysely<DB>; /** Time for the long poll (tests pass a manual clock). */ clock?: Clock }) {
  const clock = deps.clock ?? systemClock;
  return async (app: ServiceApp) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
      wakeAppendWaiters();
    });
    serve(app, feedRoute, async (request) => {
      const { after, limit, waitMs, order } = request.query;
      const until = clock.now() + (waitMs ?? 0);
      const newestFirst = order === 'desc';
      for (;;) {
        const events = await readOutbox(deps.db, after ?? 0, limit ?? 100, newestFirst);
        if (events.length > 0 || clock.now() >= until || closing || request.raw.destroyed) {
          return { events, next: (newestFirst ? events[0] : events.at(-1))?.sequence ?? after ?? 0 };
        }
        await nextAppend(nextLook(clock, msSinceLastAppend() < HOT_FOR_MS ? HOT_POLL_MS : IDLE_POLL_MS));
      }
    });
  };
}
