import { createServer, type Server } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { Gateway } from './app.ts';

export interface ListenOptions {
  host: string;
  port: number;
  /** Also listen with TLS (HTTP/2 and HTTP/1.1 by ALPN). */
  tls?: { cert: Buffer; key: Buffer; port: number } | undefined;
  /** The admin listener (metrics, readiness): loopback or a cluster-internal port, never the public one. */
  admin?: { host: string; port: number } | undefined;
}

/** The gateway's open listeners. */
export interface Listening {
  http: Server;
  https: Http2SecureServer | undefined;
  admin: Server | undefined;
  /** Stop accepting, let in-flight requests finish (up to `graceMs`), then close what is left. */
  close(graceMs: number): Promise<void>;
}

// Slow clients must not hold connections forever (slowloris): whole request in 30 s, headers in 10 s.
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;
// Longer than any load balancer's idle timeout in front of us, so it closes first (no race on reuse).
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * TLS 1.2 suites: ECDHE with AEAD ciphers only (no CBC, no RSA key
 * exchange), as Mozilla's "intermediate" profile; TLS 1.3 suites are all AEAD.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** HTTP/2 limits: streams per connection, header list size, and memory per session. */
export const HTTP2_SETTINGS = { maxConcurrentStreams: 100, maxHeaderListSize: 32_768 } as const;

/**
 * The slowloris timeouts on TLS connections too. HTTP/1.1 over the HTTP/2
 * server (ALPN fallback) does not get node:http's headersTimeout and
 * requestTimeout, so each TLS socket gets a deadline for its first request:
 * a client trickling its handshake or headers is cut after HEADERS_TIMEOUT_MS.
 */
function guardTls(server: Http2SecureServer): void {
  server.on('secureConnection', (socket: TLSSocket) => {
    const timer = setTimeout(() => socket.destroy(), HEADERS_TIMEOUT_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    (socket as TLSSocket & { bazaarHeadersTimer?: NodeJS.Timeout }).bazaarHeadersTimer = timer;
  });
  server.on('request', (req) => {
    const socket = req.socket as TLSSocket & { bazaarHeadersTimer?: NodeJS.Timeout };
    if (socket?.bazaarHeadersTimer) clearTimeout(socket.bazaarHeadersTimer);
  });
  server.on('session', (session: Http2Session) => {
    const socket = session.socket as TLSSocket & { bazaarHeadersTimer?: NodeJS.Timeout };
    // An HTTP/2 session has completed its preface: its streams are bounded by the settings and the idle timeout.
    if (socket?.bazaarHeadersTimer) clearTimeout(socket.bazaarHeadersTimer);
  });
}

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
    https = createSecureServer(
      {
        cert: opts.tls.cert,
        key: opts.tls.key,
        allowHTTP1: true,
        minVersion: 'TLSv1.2',
        ciphers: TLS12_CIPHERS,
        honorCipherOrder: true,
        settings: HTTP2_SETTINGS,
        maxSessionMemory: 10,
        maxHeaderListPairs: 128,
        maxSessionInvalidFrames: 100,
        maxSessionRejectedStreams: 100,
      },
      gateway.listener(true),
    );
    guardTls(https);
    https.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    https.setTimeout(REQUEST_TIMEOUT_MS);
    await listenOn(https, opts.host, opts.tls.port);
  }
  let admin: Server | undefined;
  if (opts.admin) {
    admin = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS }, gateway.adminListener());
    await listenOn(admin, opts.admin.host, opts.admin.port);
  }
  return {
    http,
    https,
    admin,
    async close(graceMs) {
      gateway.context.closing = true;
      const closed = Promise.all([
        new Promise<void>((resolve) => http.close(() => resolve())),
        https ? new Promise<void>((resolve) => https.close(() => resolve())) : Promise.resolve(),
        admin ? new Promise<void>((resolve) => admin.close(() => resolve())) : Promise.resolve(),
      ]);
      admin?.closeAllConnections();
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
