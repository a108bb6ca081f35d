/**
 * The fault schedule: which fault, on what, when and for how long. Generated
 * from the seed, so a run can be repeated; printed with the results.
 */
import { seededRandom } from '@bazaar/kit';
import type { ProxyMode } from './proxy.ts';

export type Fault =
  | { kind: 'kill'; target: string; atMs: number }
  | { kind: 'freeze'; target: string; atMs: number; forMs: number }
  | { kind: 'edge'; mode: Exclude<ProxyMode, { kind: 'pass' }>; atMs: number; forMs: number }
  | { kind: 'infra-restart'; target: 'postgres' | 'redis' | 'nats'; atMs: number };

/** Services the schedule may kill or freeze. psp-sim (the outside card network, in memory) and the mail sink (the outside mail server) are not ours to break. */
export const TARGETS = ['gateway', 'identity', 'catalog', 'search', 'inventory', 'cart', 'orders', 'payments', 'notifications', 'reports'] as const;

/**
 * The targets that `--replicas` runs several instances of: every one that can
 * scale. search and reports run once (one index file, one DuckDB file) and are
 * off the checkout path: a customer's answer never waits for them.
 */
export const REPLICATED = ['gateway', 'identity', 'catalog', 'inventory', 'cart', 'orders', 'payments', 'notifications'] as const;

/** The launcher's name of instance k of a service (`orders`, `orders-2`, …), as in its process table. */
export const instanceOf = (service: string, k: number): string => (k === 1 ? service : `${service}-${k}`);

/** The service an instance name belongs to (`orders-2` → `orders`; `psp-sim` stays). */
export const serviceOf = (instance: string): string => instance.replace(/-\d+$/, '');

/** A seeded PRNG (the kit's mulberry32), so a schedule can be replayed with --seed. */
export const seeded = seededRandom;

/**
 * Faults spread over the run, leaving its last fifth quiet (so sagas settle
 * under load, not only after it): one every `everyMs` on average, alternating
 * kinds; with infra, each server restarted once, at spread-out times. With
 * `replicas` above 1, a kill or a freeze hits one instance of the service (a
 * pod dies, not the whole Deployment), chosen by the seed too.
 */
export function planFaults(opts: { durationMs: number; everyMs: number; infra: boolean; edge: boolean; random: () => number; replicas?: number }): Fault[] {
  const { random } = opts;
  const replicas = opts.replicas ?? 1;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const pickTarget = (): string => {
    const service = pick(TARGETS);
    const count = (REPLICATED as readonly string[]).includes(service) ? replicas : 1;
    return count > 1 ? instanceOf(service, 1 + Math.floor(random() * count)) : service;
  };
  const active = opts.durationMs * 0.8;
  const faults: Fault[] = [];
  const freezeMax = Math.min(30_000, Math.max(3000, opts.durationMs / 6));
  const kinds: ('kill' | 'freeze' | 'edge')[] = opts.edge ? ['kill', 'freeze', 'edge'] : ['kill', 'freeze'];
  let i = 0;
  for (let at = Math.min(5000, opts.everyMs / 2); at < active; at += opts.everyMs * (0.6 + random() * 0.8), i++) {
    const kind = kinds[i % kinds.length] as 'kill' | 'freeze' | 'edge';
    if (kind === 'kill') faults.push({ kind, target: pickTarget(), atMs: Math.round(at) });
    else if (kind === 'freeze') faults.push({ kind, target: pickTarget(), atMs: Math.round(at), forMs: Math.round(Math.min(freezeMax, 10_000 + random() * 20_000) * (freezeMax < 10_000 ? freezeMax / 10_000 : 1)) });
    else {
      const modes: Exclude<ProxyMode, { kind: 'pass' }>[] = [{ kind: 'latency', ms: 900 }, { kind: 'blackhole' }, { kind: 'reset' }];
      faults.push({ kind, mode: pick(modes), atMs: Math.round(at), forMs: Math.round(Math.min(freezeMax, 5000 + random() * 10_000)) });
    }
  }
  if (opts.infra) {
    (['postgres', 'redis', 'nats'] as const).forEach((target, n) => faults.push({ kind: 'infra-restart', target, atMs: Math.round((active * (n + 1)) / 4) }));
  }
  return faults.sort((a, b) => a.atMs - b.atMs);
}

/** One line per fault, for the report. */
export function describeFault(f: Fault): string {
  const at = `${(f.atMs / 1000).toFixed(1).padStart(6)} s`;
  switch (f.kind) {
    case 'kill':
      return `${at}  kill -9 ${f.target}`;
    case 'freeze':
      return `${at}  SIGSTOP ${f.target} for ${(f.forMs / 1000).toFixed(1)} s, then SIGCONT`;
    case 'edge':
      return `${at}  payments → psp-sim: ${f.mode.kind === 'latency' ? `+${f.mode.ms} ms latency` : f.mode.kind === 'blackhole' ? 'black hole' : 'connection resets'} for ${(f.forMs / 1000).toFixed(1)} s`;
    case 'infra-restart':
      return `${at}  restart ${f.target}`;
    default:
      return f satisfies never;
  }
}
