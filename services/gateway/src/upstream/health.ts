import type { Instance, Upstream } from './balancer.ts';

/** Path probed on every instance; the kit serves it (200 when the service's own dependencies answer). */
export const HEALTH_PATH = '/readyz';

/** How often a service whose circuit is open, or an instance out of rotation, is probed (at most). */
export const RECOVERY_PROBE_MS = 250;

/**
 * Active health checks: every `intervalMs`, GET /readyz on every instance.
 * Two failures in a row take an instance out of rotation; one success puts
 * it back. Probes never overlap on one instance.
 *
 * Recovery is probed faster: every `recoveryMs` (RECOVERY_PROBE_MS, or
 * `intervalMs` when shorter) the instances of a service whose circuit is
 * open, and any instance out of rotation, are probed too. A passing probe
 * lets the circuit's trial through at once, so a service back from an outage
 * — its database restarted, say — is called again within a quarter second,
 * not after `BREAKER_OPEN_MS` or at the next round (up to `intervalMs`).
 * The probes are what they cost: one GET /readyz per instance that is down.
 */
export function startHealthChecks(upstreams: Upstream[], intervalMs: number, recoveryMs = Math.min(RECOVERY_PROBE_MS, intervalMs)): { stop(): void; runOnce(): Promise<void> } {
  const probing = new Set<Instance>();
  const timeoutMs = Math.min(1000, intervalMs);

  async function probe(upstream: Upstream, instance: Instance): Promise<void> {
    if (probing.has(instance)) return;
    probing.add(instance);
    let ok: boolean;
    try {
      const res = await instance.pool.request({ method: 'GET', path: HEALTH_PATH, signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'bazaar-gateway-health' } });
      await res.body.dump();
      ok = res.statusCode === 200;
    } catch {
      ok = false;
    } finally {
      probing.delete(instance);
    }
    upstream.health(instance, ok);
  }

  async function runOnce(): Promise<void> {
    await Promise.all(upstreams.flatMap((u) => u.instances.map((i) => probe(u, i))));
  }

  function probeRecovering(): void {
    for (const u of upstreams) {
      const open = u.breaker.state === 'open';
      for (const i of u.instances) if (open || !i.healthy) void probe(u, i);
    }
  }

  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  const recovery = setInterval(probeRecovering, recoveryMs);
  recovery.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearInterval(recovery);
    },
    runOnce,
  };
}
