/**
 * Per-process figures from Linux's /proc: CPU time used (utime + stime, in
 * clock ticks, from /proc/<pid>/stat; exact, from each thread's
 * /proc/<pid>/task/<tid>/schedstat) and resident memory (VmRSS, from
 * /proc/<pid>/status; PSS from /proc/<pid>/smaps_rollup). Undefined where /proc is missing (not Linux) or the
 * process is gone.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
const TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** CPU ms a process has used, every thread, from the scheduler's count; undefined when /proc has no schedstat. */
export function schedCpuMs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident set size of a process, in MB. */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Proportional set size of a process, in MB (Pss in /proc/<pid>/smaps_rollup): its resident pages, each page it
 * shares with other processes counted as its share. RSS counts a shared page in full in every process that maps
 * it (the node binary, the bundles' files: ~50 MB per process here), so a sum of RSS over fourteen processes counts
 * those pages fourteen times; a sum of PSS is what the processes together hold of the machine's memory.
 */
export function pssMb(pid: number): number | undefined {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** CPU ms used by each named process between two snapshots. */
export function cpuDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, ms] of after) out.set(name, ms - (before.get(name) ?? ms));
  return out;
}

/** CPU ms so far of each process, by name (several instances of a service add up). */
export function cpuSnapshot(processes: { name: string; pid: number | undefined }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of processes) {
    const ms = p.pid === undefined ? undefined : cpuMs(p.pid);
    if (ms !== undefined) out.set(p.name, (out.get(p.name) ?? 0) + ms);
  }
  return out;
}

/**
 * Wait until these processes together use less than `belowPercent` of one
 * core over a `windowMs` window (a freshly started system may still be
 * consuming its seed's events and exporting their spans; an idle one uses
 * about 15 %: fourteen processes' timers, probes and long polls), or `maxMs`
 * passed. Returns the last window's figure and whether it settled, for the
 * report.
 */
export async function settle(processes: { name: string; pid: number | undefined }[], opts: { belowPercent?: number; windowMs?: number; maxMs?: number } = {}): Promise<{ settled: boolean; percent: number; waitedMs: number }> {
  const below = opts.belowPercent ?? 30;
  const windowMs = opts.windowMs ?? 1000;
  const t0 = Date.now();
  for (;;) {
    const before = cpuSnapshot(processes);
    const at = performance.now();
    await new Promise((r) => setTimeout(r, windowMs));
    const used = [...cpuDelta(before, cpuSnapshot(processes)).values()].reduce((a, b) => a + b, 0);
    const percent = (100 * used) / (performance.now() - at);
    const waitedMs = Date.now() - t0;
    if (percent < below) return { settled: true, percent, waitedMs };
    if (waitedMs >= (opts.maxMs ?? 30_000)) return { settled: false, percent, waitedMs };
  }
}

/** Every process under `root` (children, theirs, …), not `root` itself: pid and command name. Empty where /proc is missing. */
export function descendants(root: number): { pid: number; comm: string }[] {
  const parentOf = new Map<number, { ppid: number; comm: string }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      parentOf.set(Number(entry), { ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), comm });
    } catch {
      // Gone while we looked.
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parentOf.get(pid)?.ppid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf.get(p)?.ppid, hops++) if (p === root) return true;
    return false;
  };
  return [...parentOf].filter(([pid]) => under(pid)).map(([pid, { comm }]) => ({ pid, comm }));
}
