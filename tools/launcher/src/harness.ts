/**
 * Test and benchmark harness: starts the real system with the launcher (every service its own process)
 * on a private port range and data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPERATOR, SERVICE_CREDENTIAL_HEADER, audienceSecret } from '@bazaar/kit';
import { bundleCacheDir, bundleServices, describeBundles } from './bundle.ts';
import { discoverServices } from './services.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export interface ServiceInfo {
  name: string;
  pid: number | undefined;
  url: string;
  state: string;
  restarts: number;
}

export interface RunningSystem {
  gatewayUrl: string;
  controlUrl: string;
  launcher: ChildProcess;
  output: () => string;
  services(): Promise<ServiceInfo[]>;
  service(name: string): Promise<ServiceInfo>;
  /** Headers that call an /internal route of the service `to` as `caller` (a service, or by default the operator's tools), with this run's credential. */
  callAs(to: string, caller?: string): Record<string, string>;
  stop(): Promise<void>;
}

/** Poll `check` until it returns a value, or fail saying what was awaited. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

export interface StartOptions {
  portBase: number;
  dataDir: string;
  logDir: string;
  env?: Record<string, string>;
  /** More launcher arguments, e.g. ['--scale', 'payments=3']. */
  args?: string[];
  /**
   * How long the whole system may take to be ready. Default 180 s: twelve
   * processes starting on a loaded two-core machine took over 60 s.
   */
  readyTimeoutMs?: number;
}

/**
 * Build the services' bundles now, if this state of the sources has none
 * (bundle.ts), so that a timed start-up measures starting, not building.
 * Returns what happened, for a report.
 */
export async function prepareBundles(): Promise<string> {
  const specs = discoverServices(join(root, 'services'), join(root, 'tools'));
  return describeBundles(await bundleServices(specs, { root, cacheDir: bundleCacheDir(root) }), root);
}

/** Start the launcher; resolves when it prints that everything is ready. */
export async function startSystem(opts: StartOptions): Promise<RunningSystem> {
  const readyMs = opts.readyTimeoutMs ?? 180_000;
  const argv = ['tools/launcher/src/start.ts', '--port-base', String(opts.portBase), '--ready-timeout', String(Math.ceil(readyMs / 1000)), ...(opts.args ?? [])];
  const launcher = spawn(process.execPath, argv, {
    cwd: root,
    env: { ...process.env, BAZAAR_DATA_DIR: opts.dataDir, BAZAAR_LOG_DIR: opts.logDir, LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  launcher.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  launcher.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
  const controlUrl = `http://127.0.0.1:${opts.portBase + 90}`;
  const ready = until('the launcher to report ready', readyMs + 5000, () => (/\d\d:\d\d:\d\d {2}ready$/m.test(output) ? true : undefined));
  // On failure the launcher (and with it every service) is stopped here: the caller never got a handle to stop it,
  // and a live child would keep the test file's process from exiting (a hang instead of a reported failure).
  const outcome = await Promise.race([ready.then(() => 'ready' as const), exited.then((code) => code)]).catch((error: unknown) => {
    launcher.kill('SIGTERM');
    throw error;
  });
  if (outcome !== 'ready') throw new Error(`launcher exited with ${outcome} before ready:\n${output}`);

  const services = async (): Promise<ServiceInfo[]> => {
    const res = await fetch(`${controlUrl}/api/services`);
    return ((await res.json()) as { services: ServiceInfo[] }).services;
  };
  const gateway = (await services()).find((s) => s.name === 'gateway');
  if (!gateway) throw new Error('no gateway in the process table');
  // The run's secrets, as the launcher wrote them for the operator's local tools.
  const secrets = JSON.parse(readFileSync(join(opts.dataDir, 'credentials.json'), 'utf8')) as Record<string, string>;
  return {
    gatewayUrl: gateway.url,
    controlUrl,
    launcher,
    output: () => output,
    services,
    async service(name) {
      const found = (await services()).find((s) => s.name === name);
      if (!found) throw new Error(`no service ${name}`);
      return found;
    },
    callAs(to, caller = OPERATOR) {
      const secret = secrets[caller];
      if (secret === undefined) throw new Error(`no credential for ${caller} in ${join(opts.dataDir, 'credentials.json')}`);
      return { [SERVICE_CREDENTIAL_HEADER]: `${caller}:${audienceSecret(secret, to)}` };
    },
    async stop() {
      if (launcher.exitCode !== null) return;
      launcher.kill('SIGTERM');
      await exited;
    },
  };
}

/** Ports a system takes from its base: the services, scaled instances, admin, SMTP and the launcher (base + 90). */
const PORT_BLOCK = 100;
const PORT_BLOCKS = 120; // 20,000–31,999: away from the defaults (8070-8099), below Linux's ephemeral ports (32768+)
const PORT_LOCKS = join(tmpdir(), 'bazaar-port-blocks');
const heldBlocks = new Map<number, number>();

/**
 * A port range of its own for a system this process starts: a block of 100
 * ports, claimed with a lock file (`<tmp>/bazaar-port-blocks/<block>.<pid>`) so that test files running side by side, or another checkout's
 * tests, never get overlapping ranges. Locks of processes that are gone are
 * ignored and swept; ours are removed when the process exits. The same slot in one process
 * answers the same base.
 */
export function portBaseFor(slot: number): number {
  const held = heldBlocks.get(slot);
  if (held !== undefined) return 20_000 + held * PORT_BLOCK;
  mkdirSync(PORT_LOCKS, { recursive: true });
  const first = (process.pid * 7 + slot * 13) % PORT_BLOCKS;
  for (let i = 0; i < PORT_BLOCKS; i++) {
    const block = (first + i) % PORT_BLOCKS;
    if ([...heldBlocks.values()].includes(block)) continue;
    if (!claimBlock(block)) continue;
    if (heldBlocks.size === 0) process.once('exit', releaseBlocks);
    heldBlocks.set(slot, block);
    return 20_000 + block * PORT_BLOCK;
  }
  throw new Error(`no free block of ${PORT_BLOCK} ports in 20000-31999: every one is locked in ${PORT_LOCKS} by a live process`);
}

/**
 * Claim a block: write `<block>.<pid>`, then look for anyone else's claim on it.
 * Another live claimant means we withdraw ours (two racing takers may both
 * withdraw, never both win); claims of processes that are gone are swept away.
 */
function claimBlock(block: number): boolean {
  const mine = join(PORT_LOCKS, `${block}.${process.pid}`);
  writeFileSync(mine, '');
  for (const name of readdirSync(PORT_LOCKS)) {
    const [b, pid] = name.split('.');
    if (Number(b) !== block || Number(pid) === process.pid) continue;
    if (alive(Number(pid))) {
      rmSync(mine, { force: true });
      return false;
    }
    rmSync(join(PORT_LOCKS, name), { force: true });
  }
  return true;
}

function releaseBlocks(): void {
  for (const block of heldBlocks.values()) rmSync(join(PORT_LOCKS, `${block}.${process.pid}`), { force: true });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
