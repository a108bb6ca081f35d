import type { FastifyRequest } from 'fastify';

/** Time kept back from the caller's deadline to write the answer and for it to travel back. */
export const DEADLINE_MARGIN_MS = 250;

/**
 * When to answer at the latest: `wantedMs` after `startedAt`, but never past
 * the deadline budget the caller sent (the gateway's `bazaar-deadline-ms`,
 * the time left of its timeout for this route) less a margin. So a slow saga
 * gets a 202 the caller receives, never the caller's own 504.
 */
export function answerBy(request: FastifyRequest, startedAt: number, wantedMs: number): number {
  const wanted = startedAt + wantedMs;
  const deadline = request.bazaar.deadline;
  return deadline === undefined ? wanted : Math.min(wanted, deadline - DEADLINE_MARGIN_MS);
}
