/**
 * Waiting for a checkout to finish. The orders service has no "wait" on
 * GET /api/orders/:id yet (issue 11 adds a long-poll); until then the
 * storefront polls on the server, briefly, so neither the browser nor a
 * page without JavaScript has to reload in a loop.
 */
export interface OrderLike {
  status: string;
}

/** Fetch until the order is no longer PENDING or `waitMs` has passed; answers the last order read. */
export async function waitWhilePending<T extends OrderLike>(opts: {
  fetch: () => Promise<T>;
  waitMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<T> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + opts.waitMs;
  let order = await opts.fetch();
  while (order.status === 'PENDING' && now() < deadline && !opts.signal?.aborted) {
    await sleep(Math.min(opts.intervalMs ?? 250, Math.max(0, deadline - now())));
    order = await opts.fetch();
  }
  return order;
}
