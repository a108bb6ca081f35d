import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { loadTool, parseWrk } from '../src/load.ts';
import { measureYardstick } from '../src/yardstick.ts';

const WRK_OUTPUT = `Running 1s test @ http://127.0.0.1:47333/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.25ms    2.11ms  30.97ms   94.24%
    Req/Sec    11.67k     3.95k   15.95k    72.73%
  Latency Distribution
     50%  680.00us
     75%    1.02ms
     90%    2.02ms
     99%   11.05ms
  12750 requests in 1.10s, 1.51MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  11580.82
Transfer/sec:      1.37MB
`;

test("wrk's report is read: req/s, p50 and p99 in ms, errors (socket and non-2xx), requests", () => {
  assert.deepEqual(parseWrk(WRK_OUTPUT), { rps: 11580.82, p50: 0.68, p99: 11.05, errors: 7, requests: 12750 });
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /no Requests\/sec/);
});

/**
 * Requests served by HTTP servers of this process while `run` runs, by the port they listen on. By port: the files
 * of a unit-test shard share one process, and another file's server may still be asked meanwhile.
 */
async function requestsServedHere<T>(run: () => Promise<T>): Promise<{ result: T; servedOn: (port: number) => number }> {
  const emit = http.Server.prototype.emit;
  const served = new Map<number, number>();
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...rest: unknown[]): boolean {
    if (event === 'request') {
      const port = (this.address() as AddressInfo | null)?.port ?? 0;
      served.set(port, (served.get(port) ?? 0) + 1);
    }
    return (emit as (event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...rest);
  } as typeof emit;
  try {
    return { result: await run(), servedOn: (port) => served.get(port) ?? 0 };
  } finally {
    http.Server.prototype.emit = emit;
  }
}

/** Whether anything accepts connections on this loopback port now. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

test('with wrk, the yardstick is issue 14\'s: the hello server in a process of its own, not in the bench\'s beside the load (and gone afterwards)', { skip: loadTool() === 'wrk' ? false : 'wrk is not installed (apt-get install wrk)' }, async () => {
  const { result, servedOn } = await requestsServedHere(() => measureYardstick({ connections: 4, durationS: 1, tool: 'wrk' }));
  assert.equal(result.tool, 'wrk');
  assert.ok(result.rps > 0, `the hello server answered (${result.rps} req/s)`);
  const port = Number(new URL(result.url).port);
  assert.equal(servedOn(port), 0, `no request to ${result.url} was served in the bench's own process`);
  assert.equal(await listening(port), false, 'the hello server was stopped');
});

test('without wrk, autocannon loads a hello server in the bench\'s process (the yardstick of the runs before December 7)', async () => {
  const { result, servedOn } = await requestsServedHere(() => measureYardstick({ connections: 2, durationS: 1, tool: 'autocannon' }));
  assert.equal(result.tool, 'autocannon');
  const served = servedOn(Number(new URL(result.url).port));
  assert.ok(served > 0 && result.rps > 0, `served here: ${served}, ${result.rps} req/s`);
});
