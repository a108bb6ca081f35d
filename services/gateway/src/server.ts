import { createServer, type Server } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { Gateway } from './app.ts';

export interface ListenOptions {
  host: string;
  port: number;
  /** Also listen with TLS (HTTP/2 and HTTP/1.1 by ALPN). */
  tls?: { cert: Buffer; key: Buffer; port: number } | undefined;
}

/** The gateway's open listeners. */
export interface Listening {
  http: Server;
  https: Http2SecureServer | undefined;
  /** Stop accepting, let in-flight requests finish (up to `graceMs`), then close what is left. */
  close(graceMs: number): Promise<void>;
}

// Slow clients must not hold connections forever (slowloris): whole request in 30 s, headers in 10 s.
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;
// Longer than any load balancer's idle timeout in front of us, so it closes first (no race on reuse).
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function listenOn(server: Server | Http2SecureServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Open the HTTP listener, and the HTTPS one when TLS is configured. */
export async function listen(gateway: Gateway, opts: ListenOptions): Promise<Listening> {
  await gateway.app.ready();
  const http = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, gateway.listener(false));
  await listenOn(http, opts.host, opts.port);
  let https: Http2SecureServer | undefined;
  const sessions = new Set<Http2Session>();
  if (opts.tls) {
    https = createSecureServer({ cert: opts.tls.cert, key: opts.tls.key, allowHTTP1: true, minVersion: 'TLSv1.2' }, gateway.listener(true));
    https.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    https.setTimeout(REQUEST_TIMEOUT_MS);
    await listenOn(https, opts.host, opts.tls.port);
  }
  return {
    http,
    https,
    async close(graceMs) {
      gateway.context.closing = true;
      const closed = Promise.all([
        new Promise<void>((resolve) => http.close(() => resolve())),
        https ? new Promise<void>((resolve) => https.close(() => resolve())) : Promise.resolve(),
      ]);
      http.closeIdleConnections();
      // GOAWAY: HTTP/2 clients finish their streams and open no new ones here.
      for (const session of sessions) session.close();
      const timer = setTimeout(() => {
        http.closeAllConnections();
        for (const session of sessions) session.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
