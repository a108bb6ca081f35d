/**
 * The load balancer the chaos client plays in front of the gateway instances.
 *
 * Round-robin over the instances (the kit's `InstanceRing`); an instance that
 * refused, reset or timed out is left out for a while, as a health check or
 * outlier detection would. And a **hedge on the per-try timeout**: when an
 * instance has not answered within `hedgeAfterMs`, the same request is also
 * sent to another instance without giving up the first (Envoy's
 * `hedge_on_per_try_timeout`); the first answer wins and the other is
 * cancelled. Only for requests that are safe to send twice: reads, and
 * `POST /api/checkout` with its Idempotency-Key (a repeat returns the same
 * order). Without it a checkout sent to an instance the moment it froze sat
 * there for the client's whole timeout before anyone else saw it, and its
 * saga started only then (docs/chaos.md, "frozen gateway").
 */
import type { InstanceRing } from '@bazaar/kit';
import { call, TimeoutError, type Reply } from './http.ts';

export interface BalancerFigures {
  requests: number;
  status5xx: number;
  timeouts: number;
  networkErrors: number;
  /** Requests also sent to a second instance because the first had not answered in time. */
  hedges: number;
  /** Of those, how many the second instance answered first. */
  hedgesWon: number;
}

export type CallInit = Omit<Parameters<typeof call>[1], 'signal'>;

export interface Balancer {
  /** Send `path` to an instance (and, past the hedge delay, to a second one); undefined when no instance answered. */
  send<T>(path: string, init: CallInit, opts?: { hedge?: boolean }): Promise<Reply<T> | undefined>;
  /** An instance in rotation (for a login). */
  url(): string;
}

export function createBalancer(opts: { urls: readonly string[]; ring: InstanceRing; hedgeAfterMs: number; figures: BalancerFigures }): Balancer {
  const { urls, ring, figures } = opts;
  const urlOf = (i: number) => urls[i] as string;

  /** One try at instance `i`; a failure of its own (not our cancel) ejects the instance and is counted. */
  function attempt<T>(i: number, path: string, init: CallInit, cancel: AbortSignal): Promise<Reply<T>> {
    figures.requests++;
    return call<T>(`${urlOf(i)}${path}`, { ...init, signal: cancel }).then(
      (res) => {
        if (res.status >= 500) figures.status5xx++;
        return res;
      },
      (error: unknown) => {
        if (!cancel.aborted) {
          if (error instanceof TimeoutError) figures.timeouts++;
          else figures.networkErrors++;
          ring.eject(i);
        }
        throw error;
      },
    );
  }

  return {
    url: () => urlOf(ring.pick() ?? 0),
    async send<T>(path: string, init: CallInit, sendOpts: { hedge?: boolean } = {}) {
      const first = ring.pick() ?? 0;
      const firstCancel = new AbortController();
      const firstTry = attempt<T>(first, path, init, firstCancel.signal);
      if (sendOpts.hedge === false || urls.length < 2) return firstTry.catch(() => undefined);

      // Wait for the first answer, or the hedge delay, whichever comes first.
      let timer: NodeJS.Timeout | undefined;
      const delay = new Promise<'hedge'>((resolve) => (timer = setTimeout(() => resolve('hedge'), opts.hedgeAfterMs)));
      const early = await Promise.race([firstTry.then((res) => ({ res }), () => ({ res: undefined })), delay]);
      clearTimeout(timer);
      if (early !== 'hedge') return early.res;

      const second = ring.pick(new Set([first]));
      if (second === undefined || second === first) return firstTry.catch(() => undefined);
      figures.hedges++;
      const secondCancel = new AbortController();
      const secondTry = attempt<T>(second, path, init, secondCancel.signal);
      const tagged = [firstTry.then((res) => ({ from: first, res })), secondTry.then((res) => ({ from: second, res }))];
      try {
        // The first of the two to answer at all (a 5xx is an answer: the caller decides what to do with it).
        const winner = await Promise.any(tagged);
        if (winner.from === first) secondCancel.abort();
        else {
          figures.hedgesWon++;
          firstCancel.abort();
          // Slower than a request sent a hedge delay after it: out of rotation for a while (outlier detection).
          ring.eject(first);
        }
        return winner.res;
      } catch {
        return undefined; // Neither answered: both were counted and ejected.
      }
    },
  };
}
