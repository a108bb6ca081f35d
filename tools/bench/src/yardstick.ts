/**
 * The yardstick: a bare node:http "hello" server, loaded with the same tool
 * and settings as the real figures. Every bench figure is also printed as a
 * multiple of it, so runs on different (or differently busy) machines
 * compare.
 *
 * With wrk (load.ts), it is issue 14's yardstick: the server in a process of
 * its own (this Node), `wrk -t1` from another, each with a core. With
 * autocannon, the server runs in the bench's process beside the load
 * generator, and the two share one core: such a yardstick reads lower, by a
 * factor that differs between machines (docs/performance.md, "December 7").
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { loadTool, runLoad, type LoadTool } from './load.ts';

export interface Yardstick {
  rps: number;
  /** Microseconds of wall time per request at that rate (1e6 / rps). */
  usPerRequest: number;
  tool: LoadTool;
  /** The URL the load tool asked: the hello server's. */
  url: string;
}

const HELLO = `require('node:http').createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('hello'); })
  .listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });`;

/** The hello server in a child process of this Node; resolves with its port and a way to stop it. */
async function helloProcess(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', HELLO], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the yardstick server did not print its port within 20 s')), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the yardstick server exited (${code}) before listening`)));
    child.stdout?.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(Number(chunk.toString().trim()));
    });
  });
  child.removeAllListeners('exit');
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/** Load a hello server for `durationS` with `connections`; returns its req/s. */
export async function measureYardstick(opts: { connections: number; durationS: number; tool?: LoadTool }): Promise<Yardstick> {
  const tool = opts.tool ?? loadTool();
  const load = { connections: opts.connections, durationS: opts.durationS };
  if (tool === 'wrk') {
    const hello = await helloProcess();
    try {
      const url = `http://127.0.0.1:${hello.port}/`;
      const { rps } = await runLoad('wrk', url, load);
      return { rps, usPerRequest: 1e6 / rps, tool, url };
    } finally {
      await hello.stop();
    }
  }
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/`;
    const { rps } = await runLoad('autocannon', url, load);
    return { rps, usPerRequest: 1e6 / rps, tool, url };
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** The machine's load, as `uptime` prints it, to print beside every figure. */
export const machineLoad = (): string => `load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
