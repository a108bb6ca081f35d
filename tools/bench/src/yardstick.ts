/**
 * The yardstick: a bare node:http "hello" server in this process's Node,
 * loaded with the same tool and settings as the real figures. Every bench
 * figure is also printed as a multiple of it, so runs on different (or
 * differently busy) machines compare.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';

export interface Yardstick {
  rps: number;
  /** Microseconds of wall time per request at that rate (1e6 / rps). */
  usPerRequest: number;
}

/** Load a hello server on an ephemeral port for `durationS` with `connections`; returns its req/s. */
export async function measureYardstick(opts: { connections: number; durationS: number }): Promise<Yardstick> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: opts.connections, duration: opts.durationS });
    return { rps: result.requests.average, usPerRequest: 1e6 / result.requests.average };
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** The machine's load, as `uptime` prints it, to print beside every figure. */
export const machineLoad = (): string => `load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
