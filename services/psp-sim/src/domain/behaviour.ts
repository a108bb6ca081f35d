import type { PspConfig } from '@bazaar/contracts/psp';
import { errors } from '../errors.ts';

/**
 * The knobs for resilience experiments: latency added to every /v1 call and
 * a failure rate. A failing call answers 503 before anything is done, so a
 * retry is always safe. `random` is injectable so tests decide failures, and
 * `sleep` so they check the latency on a manual clock, not the wall clock.
 */
export function createBehaviour(deps: { initial: PspConfig; random?: () => number; sleep?: (ms: number) => Promise<void> }) {
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let config: PspConfig = { ...deps.initial };
  return {
    get(): PspConfig {
      return { ...config };
    },
    set(next: PspConfig): PspConfig {
      config = { ...next };
      return { ...config };
    },
    /** Wait the configured latency, then maybe fail. */
    async apply(): Promise<void> {
      const { latencyMs, failureRate } = config;
      if (latencyMs > 0) await sleep(latencyMs);
      if (failureRate > 0 && random() < failureRate) {
        throw errors.simulated_failure('Simulated outage: nothing was done; retry later (see failureRate in /admin/config).');
      }
    },
  };
}

export type Behaviour = ReturnType<typeof createBehaviour>;
