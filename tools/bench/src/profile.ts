/**
 * `npm run bench:profile`: starts the real system with every process under
 * V8's CPU profiler (NODE_OPTIONS=--cpu-prof, inherited by the launcher's
 * children), runs a short checkout load, stops the system (each process
 * writes its .cpuprofile as it exits) and prints, per service, where its
 * CPU went: the top functions by self time, and the top packages/files.
 * The profiles are kept (path printed) for a closer look in Chrome DevTools.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, startSystem, type RunningSystem } from '../../launcher/src/harness.ts';
import { BENCH_RATE_LIMITS, benchCheckout, shoppers } from './checkout.ts';

const portBase = Number(process.env.BENCH_PORT_BASE ?? 26000);
const checkouts = Number(process.env.BENCH_CHECKOUTS ?? 60);
const inFlight = Number(process.env.BENCH_IN_FLIGHT ?? 4);
const top = Number(process.env.PROFILE_TOP ?? 8);

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package, one of ours (packages/…, services/…), node's own, or V8. */
function owner(url: string): string {
  if (!url) return '(v8/native)';
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const m = /\/(packages|services|tools)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}

function shortUrl(url: string): string {
  const m = /\/((?:node_modules\/(?:@[^/]+\/)?[^/]+|packages\/[^/]+|services\/[^/]+|tools\/[^/]+)\/.*)$/.exec(url);
  return m?.[1] ?? url;
}

/**
 * The launcher runs each service from its esbuild bundle, so a profile's
 * frames name bundle files (node_modules/.cache/bazaar-bundles/…): every
 * package and every workspace folded into one URL, and no frame would be
 * told to be tracing code. Each frame in a file with a linked source map
 * (`<file>.map`, which the bundler writes) gets the URL and line of the
 * source it came from; frames elsewhere are left as they are.
 */
export function toSources(profile: CpuProfile): CpuProfile {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string): SourceMap | undefined => {
    if (maps.has(url)) return maps.get(url);
    let map: SourceMap | undefined;
    if (url.startsWith('file://')) {
      const file = fileURLToPath(url) + '.map';
      if (existsSync(file)) map = new SourceMap(JSON.parse(readFileSync(file, 'utf8')) as SourceMapPayload);
    }
    maps.set(url, map);
    return map;
  };
  const nodes = profile.nodes.map((node) => {
    const { url, lineNumber, columnNumber } = node.callFrame;
    const map = url ? mapOf(url) : undefined;
    if (!map || lineNumber < 0) return node;
    const entry = map.findEntry(lineNumber, columnNumber ?? 0);
    if (!('originalSource' in entry)) return node;
    const source = new URL(entry.originalSource, url).href;
    return { ...node, callFrame: { ...node.callFrame, url: source, lineNumber: entry.originalLine, columnNumber: entry.originalColumn } };
  });
  return { ...profile, nodes };
}

export interface ProfileSummary {
  totalMs: number;
  /** CPU spent in tracing code (OpenTelemetry packages and the kit's/store's/messaging's span helpers) and in what node does for it. */
  tracingMs: number;
  functions: { name: string; ms: number }[];
  owners: { name: string; ms: number }[];
}

/** Frames that are tracing: the SDK and API, and our own span helpers. */
const TRACING = /node_modules\/@opentelemetry\/|\/packages\/kit\/src\/(telemetry[^/]*|otlp-encode)\.ts|\/packages\/store\/src\/tracing\.ts|\/packages\/messaging\/src\/trace\.ts/;

/**
 * Self time by function and by owner (package / workspace / node / V8), from
 * a .cpuprofile; only samples taken inside `window` (µs on the monotonic clock
 * V8 and process.hrtime share) when given, so start-up does not drown the load.
 */
export function summarize(profile: CpuProfile, window?: { from: number; to: number }): ProfileSummary {
  const selfMs = new Map<number, number>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // A sample is tracing's when the first frame above node's and V8's own is tracing code: the SDK's, or our
  // span helpers' (not what they wrap: a handler run inside consumeInTrace is the handler's).
  const inTracing = new Map<number, boolean>();
  const tracingFrame = (id: number): boolean => {
    const known = inTracing.get(id);
    if (known !== undefined) return known;
    const url = byId.get(id)?.callFrame.url ?? '';
    const up = parent.get(id);
    const yes = url === '' || url.startsWith('node:') ? up !== undefined && tracingFrame(up) : TRACING.test(url);
    inTracing.set(id, yes);
    return yes;
  };
  let tracingMs = 0;
  // Each sample's time is the delta to the next one.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.from || at > window.to)) continue;
    const id = profile.samples[i] as number;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    selfMs.set(id, (selfMs.get(id) ?? 0) + dt);
    if (tracingFrame(id)) tracingMs += dt;
  }
  const byFn = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += ms;
    const fn = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
    const o = functionName === '(garbage collector)' ? '(gc)' : functionName === '(program)' ? '(program)' : owner(url);
    byOwner.set(o, (byOwner.get(o) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms }));
  return { totalMs: total, tracingMs, functions: sorted(byFn), owners: sorted(byOwner) };
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '');
if (isMain) {
  const work = mkdtempSync(join(tmpdir(), 'bazaar-profile-'));
  const profDir = join(work, 'profiles');
  mkdirSync(profDir);
  const opts = {
    portBase,
    dataDir: join(work, 'data'),
    logDir: join(work, 'logs'),
    readyTimeoutMs: 180_000,
    env: { LOG_LEVEL: 'warn', RATE_LIMITS: BENCH_RATE_LIMITS, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profDir}` },
  };
  let system: RunningSystem | undefined;
  const pids = new Map<number, string>();
  // The load (and the 5 s after it, for the consumers), in µs of the monotonic clock the profiles use.
  const window = { from: 0, to: Number.MAX_SAFE_INTEGER };
  let confirmed: number | undefined;
  let all = 0;
  let tracing = 0;
  try {
    system = await startSystem(opts);
    for (const s of await system.services()) if (s.pid) pids.set(s.pid, s.name);
    process.stdout.write(`profiling ${checkouts} checkouts, ${inFlight} in flight…\n`);
    // Warm-up (not in the window): first connections, JIT, caches.
    // The shoppers sign up before the window too: a sign-up's password hashing is not a checkout's cost.
    const tokens = await shoppers(system.gatewayUrl, inFlight);
    await benchCheckout(system.gatewayUrl, inFlight, { inFlight, tokens });
    window.from = Number(process.hrtime.bigint() / 1000n);
    const co = await benchCheckout(system.gatewayUrl, checkouts, { inFlight, tokens });
    confirmed = co.confirmed;
    process.stdout.write(`  ${co.confirmed}/${co.checkouts} confirmed, ${co.confirmedPerS.toFixed(1)}/s, p50 ${co.p50.toFixed(0)} ms, p99 ${co.p99.toFixed(0)} ms\n`);
    // Let the read models catch up, so their share is in the profile.
    await new Promise((r) => setTimeout(r, 5000));
    window.to = Number(process.hrtime.bigint() / 1000n);
    process.stdout.write(`  load window (µs, the profiles' clock): ${window.from}–${window.to}\n`);
    // Each service writes its profile as it exits; on a busy machine thirteen at once outlast the launcher's
    // stop grace (then SIGKILL: no profile). So stop them one by one, each given the time its profile takes.
    for (const pid of pids.keys()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      const until = Date.now() + 60_000;
      while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await system?.stop();
  }
  for (const file of readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const pid = Number(file.split('.')[3]);
    const name = pids.get(pid) ?? (pid === system?.launcher.pid ? 'launcher' : `pid ${pid}`);
    const s = summarize(toSources(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile), window);
    if (s.totalMs === 0) continue;
    all += s.totalMs;
    tracing += s.tracingMs;
    process.stdout.write(`\n## ${name} — ${s.totalMs.toFixed(0)} ms CPU sampled during the load, ${s.tracingMs.toFixed(0)} ms of it in tracing code (${((100 * s.tracingMs) / s.totalMs).toFixed(1)} %)\n`);
    process.stdout.write(`  by owner:    ${s.owners.map((o) => `${o.name} ${o.ms.toFixed(0)}`).join(', ')}\n`);
    for (const f of s.functions) process.stdout.write(`  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}\n`);
  }
  process.stdout.write(`\nduring the load: ${all.toFixed(0)} ms CPU sampled, ${(all / Math.max(1, confirmed ?? 0)).toFixed(1)} ms per confirmed checkout; in tracing code ${tracing.toFixed(0)} ms, ${(tracing / Math.max(1, confirmed ?? 0)).toFixed(1)} ms per checkout\n`);
  process.stdout.write(`profiles kept in ${profDir}\n`);
}
