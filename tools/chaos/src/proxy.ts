/**
 * A small TCP fault proxy placed on one edge between two services (e.g.
 * payments → psp-sim). Passes bytes through, or, as the schedule says, adds
 * latency to every chunk, black-holes (accepts and never answers, never
 * forwards), or resets connections (RST). Byte-level, so HTTP keep-alive and
 * pipelining are untouched in normal mode.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does to traffic right now. */
export type ProxyMode = { kind: 'pass' } | { kind: 'latency'; ms: number } | { kind: 'blackhole' } | { kind: 'reset' };

export interface FaultProxy {
  port: number;
  url: string;
  set(mode: ProxyMode): void;
  mode(): ProxyMode;
  close(): Promise<void>;
}

/** Start a proxy on 127.0.0.1:`port` (0: any) forwarding to `target` (host:port). */
export async function startFaultProxy(opts: { port: number; target: { host: string; port: number } }): Promise<FaultProxy> {
  let mode: ProxyMode = { kind: 'pass' };
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    if (mode.kind === 'reset') return void client.resetAndDestroy();
    if (mode.kind === 'blackhole') return; // Accepted, never answered: the caller's timeout is all it gets.
    const upstream = connect(opts.target);
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    const relay = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        const now = mode;
        if (now.kind === 'blackhole') return;
        if (now.kind === 'reset') {
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
        if (now.kind === 'latency') {
          from.pause();
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            from.resume();
          }, now.ms);
          return;
        }
        to.write(chunk);
      });
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    set(next) {
      mode = next;
      // A black hole or reset also cuts what is in flight, as a partition would.
      if (next.kind === 'reset') for (const s of open) s.destroy();
    },
    mode: () => mode,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
