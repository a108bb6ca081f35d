import type { Instance, Upstream } from './balancer.ts';

/** Path probed on every instance; the kit serves it (200 when the service's own dependencies answer). */
export const HEALTH_PATH = '/readyz';

/**
 * Active health checks: every `intervalMs`, GET /readyz on every instance.
 * Two failures in a row take an instance out of rotation; one success puts
 * it back. Probes never overlap on one instance.
 */
export function startHealthChecks(upstreams: Upstream[], intervalMs: number): { stop(): void; runOnce(): Promise<void> } {
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

  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
