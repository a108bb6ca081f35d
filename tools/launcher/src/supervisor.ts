import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { EventEmitter } from 'node:events';
import { setPriority } from 'node:os';
import { backoffDelay } from '@bazaar/kit/primitives';
import { httpCall } from './http-call.ts';
import type { ServiceSpec } from './services.ts';

export type ProcessState = 'starting' | 'ready' | 'frozen' | 'crashed' | 'restarting' | 'stopping' | 'stopped' | 'failed';

/** Exit code a service uses for a configuration error (EX_CONFIG): restarting cannot help. */
export const EXIT_CONFIG = 78;

export interface ProcessInfo {
  name: string;
  pid: number | undefined;
  url: string;
  state: ProcessState;
  restarts: number;
  lastExit: string | undefined;
  startedAt: string | undefined;
  /** When this instance first answered ready (kept across its restarts): calls refused before then were start-up, not failures. */
  firstReadyAt: string | undefined;
}

export interface SupervisedOptions {
  spec: ServiceSpec;
  /** The instance's name (default: the service's): payments, payments-2… */
  name?: string;
  url: string;
  /** Where readiness is asked, when not `${url}/readyz` (the gateway answers it on its admin listener). */
  readyUrl?: string;
  env: Record<string, string>;
  logFile: string;
  /** CPU niceness to give the process once it is ready (0: as the launcher; 10: yields the CPU to everything at 0 when it is short). */
  nice?: number;
  /** Also copy the child's output to the launcher's stdout. */
  echo: boolean;
  /** Called with every complete line the child writes (the launcher's log index). */
  onLine?: (line: string) => void;
  nodePath: string;
}

/**
 * V8 flags every service runs with (before its entry):
 * - semi-spaces of at most 2 MB (V8's default lets each grow to 8 MB). A service keeps a few hundred KB of
 *   short-lived objects alive at a time, so a smaller young generation costs it little (+0–2 % CPU per checkout,
 *   within the runs' noise) and fourteen processes hold ~120 MB less idle, ~250 MB less under load
 *   (docs/performance.md, "A smaller young generation");
 * - one V8 worker thread (`--v8-pool-size=1`; Node's default is 4): fourteen processes on a laptop's few cores gain
 *   nothing from four background threads each for compilation and GC, and each thread's stack and malloc arena
 *   is resident (the idle system: 27–36 MB less; docs/performance.md, "December 7, fourth session").
 * A NODE_OPTIONS that sets its own value of either wins: that flag is left out.
 */
export function serviceNodeFlags(nodeOptions: string | undefined): string[] {
  const own = nodeOptions ?? '';
  return [
    ...(/--max[-_]semi[-_]space[-_]size/.test(own) ? [] : ['--max-semi-space-size=2']),
    ...(/--v8[-_]pool[-_]size/.test(own) ? [] : ['--v8-pool-size=1']),
  ];
}

/** Restart delay after the n-th consecutive crash: 250 ms doubling, capped at 10 s. */
export function backoffMs(attempt: number): number {
  return backoffDelay(attempt, { baseMs: 250, maxMs: 10_000 });
}

/** A run this long counts as healthy; the next crash starts the backoff from the beginning. */
const STABLE_AFTER_MS = 30_000;
const READY_POLL_MS = 150;

/**
 * One service process: starts it, watches /readyz, restarts it with backoff
 * when it dies on its own, and stops it on request (SIGTERM, then SIGKILL).
 * Emits 'ready', 'exit' (with a human-readable reason) and 'restart'.
 */
export class SupervisedProcess extends EventEmitter {
  readonly name: string;
  readonly url: string;
  private readonly opts: SupervisedOptions;
  private child: ChildProcess | undefined;
  private log: WriteStream;
  private state: ProcessState = 'stopped';
  private crashes = 0;
  private restarts = 0;
  private lastExit: string | undefined;
  private startedAt: number | undefined;
  private firstReadyAt: number | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private wanted = false;
  private stderrTail: string[] = [];

  constructor(opts: SupervisedOptions) {
    super();
    this.opts = opts;
    this.name = opts.name ?? opts.spec.name;
    this.url = opts.url;
    this.log = createWriteStream(opts.logFile, { flags: 'a' });
  }

  info(): ProcessInfo {
    return {
      name: this.name,
      pid: this.child?.pid,
      url: this.url,
      state: this.state,
      restarts: this.restarts,
      lastExit: this.lastExit,
      startedAt: this.startedAt === undefined ? undefined : new Date(this.startedAt).toISOString(),
      firstReadyAt: this.firstReadyAt === undefined ? undefined : new Date(this.firstReadyAt).toISOString(),
    };
  }

  /** Start the process (no-op when it runs). */
  start(): void {
    this.wanted = true;
    if (this.child) return;
    clearTimeout(this.restartTimer);
    this.spawnChild();
  }

  private spawnChild(): void {
    // A bundle pruned while this system ran (a newer build by another launcher): the sources still run.
    const entry = existsSync(this.opts.spec.entry) ? this.opts.spec.entry : this.opts.spec.source;
    const child = spawn(this.opts.nodePath, [...serviceNodeFlags(this.opts.env.NODE_OPTIONS), entry], {
      cwd: this.opts.spec.dir,
      env: this.opts.env,
      // stdin: a pipe the launcher never writes to; its end closing tells the service the launcher is gone (the kit's
      // BAZAAR_EXIT_WITH_LAUNCHER).
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.state = 'starting';
    this.startedAt = Date.now();
    this.stderrTail = [];
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        this.log.write(chunk);
        if (this.opts.echo) process.stdout.write(chunk);
        if (!this.opts.onLine) return;
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.length > 0) this.opts.onLine(line);
      });
    }
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.stderrTail = this.stderrTail.slice(-20);
    });
    child.on('error', (error) => {
      this.log.write(`launcher: cannot start ${this.name}: ${error.message}\n`);
    });
    // 'close' (not 'exit'): it fires after stdout/stderr are drained, so the tail is complete.
    child.on('close', (code, signal) => this.onExit(child, code, signal));
    void this.waitReady(child);
  }

  /** A background service starts at full priority (a start is on everyone's path), then yields the CPU once ready. */
  private lowerPriority(child: ChildProcess): void {
    if (!this.opts.nice || child.pid === undefined) return;
    try {
      setPriority(child.pid, this.opts.nice);
    } catch (error) {
      this.log.write(`launcher: cannot lower the CPU priority of ${this.name}: ${(error as Error).message}\n`);
    }
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    while (this.child === child && this.state === 'starting') {
      try {
        const res = await httpCall(this.opts.readyUrl ?? `${this.url}/readyz`, { timeoutMs: 1000 });
        if (res.status >= 200 && res.status < 300 && this.child === child && this.state === 'starting') {
          this.state = 'ready';
          this.firstReadyAt ??= Date.now();
          this.lowerPriority(child);
          this.emit('ready', this.info());
          return;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    const reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
    this.lastExit = `${reason} at ${new Date().toISOString()}`;
    if (!this.wanted) {
      this.state = 'stopped';
      this.emit('exit', { name: this.name, reason, expected: true });
      return;
    }
    if (code === EXIT_CONFIG) {
      this.state = 'failed';
      this.wanted = false;
      this.emit('exit', { name: this.name, reason, expected: false, fatal: true, output: this.stderrTail.join('\n') });
      return;
    }
    const ranFor = Date.now() - (this.startedAt ?? Date.now());
    this.crashes = ranFor > STABLE_AFTER_MS ? 1 : this.crashes + 1;
    const delay = backoffMs(this.crashes);
    this.state = 'crashed';
    this.emit('exit', { name: this.name, reason, expected: false, restartInMs: delay, attempt: this.crashes });
    this.restartTimer = setTimeout(() => {
      if (!this.wanted) return;
      this.restarts += 1;
      this.state = 'restarting';
      this.emit('restart', this.info());
      this.spawnChild();
    }, delay);
  }

  /** Stop the process: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    this.wanted = false;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) {
      this.state = 'stopped';
      return;
    }
    // A frozen process cannot handle SIGTERM until it runs again.
    if (this.state === 'frozen') child.kill('SIGCONT');
    this.state = 'stopping';
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Freeze the process (SIGSTOP): it keeps its port but answers nothing, like a hung service. */
  freeze(): void {
    if (!this.child || this.state !== 'ready') return;
    this.child.kill('SIGSTOP');
    this.state = 'frozen';
  }

  /** Let a frozen process run again (SIGCONT). */
  thaw(): void {
    if (!this.child || this.state !== 'frozen') return;
    this.child.kill('SIGCONT');
    this.state = 'ready';
  }

  /** Kill the process at once (SIGKILL), as a crash would: the supervisor restarts it. */
  kill(): void {
    if (this.state === 'frozen') this.child?.kill('SIGCONT');
    this.child?.kill('SIGKILL');
  }

  /** Stop then start again (a deliberate restart, no backoff). */
  async restart(): Promise<void> {
    await this.stop();
    this.restarts += 1;
    this.start();
  }

  /**
   * Resolves once the process is ready (at once if it is). Rejects after
   * `timeoutMs`, or when it stops or fails on its configuration first; a
   * crash while starting is restarted by the supervisor and waited out.
   */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.off('ready', onReady);
        this.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const onExit = (e: { reason: string; expected: boolean; fatal?: boolean }) => {
        if (e.expected || e.fatal) done(new Error(`${this.name} ${e.reason} before it was ready`));
      };
      const timer = setTimeout(() => done(new Error(`${this.name} was not ready within ${timeoutMs / 1000} s`)), timeoutMs);
      this.on('ready', onReady);
      this.on('exit', onExit);
    });
  }

  /** Close the log file (after stop). */
  async dispose(): Promise<void> {
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
