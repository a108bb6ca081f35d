import type { Logger } from 'pino';
import { ConfigError } from './config.ts';
import type { ServiceApp } from './app.ts';
import { flushTelemetry } from './telemetry.ts';

/** A server that is not (only) a fastify app: the gateway's own HTTP and HTTPS listeners. */
export interface Listener {
  /** Open the port(s); resolves with the fields the "listening" log line shows. */
  listen(): Promise<Record<string, unknown>>;
  /** Stop accepting, let in-flight requests finish, then release everything. */
  close(): Promise<void>;
  /** Where it listens and which variables move it, for the "cannot listen" message (e.g. "127.0.0.1:8080 / 8443", "PORT or TLS_PORT"). */
  describe?: { where: string; variables: string };
}

export interface StartServiceOptions {
  /** The service's config (every config schema has these keys). */
  config: { HOST: string; PORT: number; SHUTDOWN_TIMEOUT_MS: number; BAZAAR_EXIT_WITH_LAUNCHER?: boolean };
  logger: Logger;
  /** What to serve: a service's app (listens on HOST:PORT; its onClose hooks close stores and workers), or a Listener. */
  app: ServiceApp | Listener;
  /** Run just before the process exits, whatever the reason (e.g. flush a batched log writer). */
  beforeExit?: () => void;
}

/** The fastify app of a service as a Listener on HOST:PORT. */
function appListener(app: ServiceApp, host: string, port: number): Listener {
  return {
    async listen() {
      return { address: await app.listen({ host, port }) };
    },
    close: () => app.close(),
  };
}

/**
 * Listen, and own the process from then on: on SIGTERM/SIGINT stop accepting,
 * drain in-flight requests, run the app's onClose hooks (stores, relays) and
 * exit 0; a second signal, a drain that overruns SHUTDOWN_TIMEOUT_MS, an
 * uncaught exception or an unhandled rejection exits 1. Every service and the
 * gateway start through it.
 */
export async function startService(opts: StartServiceOptions): Promise<void> {
  const { config, logger } = opts;
  const server = 'addHook' in opts.app ? appListener(opts.app, config.HOST, config.PORT) : opts.app;
  const exit = (code: number): never => {
    opts.beforeExit?.();
    process.exit(code);
  };
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down: draining requests');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out: exiting');
      exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    server.close().then(
      async () => {
        // The last spans (the drain's own) leave before the process does.
        await flushTelemetry();
        logger.info('stopped');
        exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection: exiting');
    exit(1);
  });
  if (config.BAZAAR_EXIT_WITH_LAUNCHER) {
    // The launcher holds the other end of our stdin and never writes to it: its end closes when the launcher exits,
    // however it exits. Without this a launcher killed with kill -9 left every service running, holding its port.
    const gone = () => shutdown('launcher gone');
    process.stdin.once('end', gone);
    process.stdin.once('error', gone);
    process.stdin.resume();
  }

  let details: Record<string, unknown>;
  try {
    details = await server.listen();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const where = server.describe?.where ?? `${config.HOST}:${config.PORT}`;
    const hint = code === 'EADDRINUSE' ? (server.describe ? ` (port taken: set ${server.describe.variables})` : ` (port ${config.PORT} is taken: set PORT to a free one)`) : '';
    logger.fatal({ err: error }, `cannot listen on ${where}${hint}`);
    return exit(1);
  }
  logger.info(details, 'listening');
}

/**
 * Entry point wrapper for a service's main.ts: a configuration error prints a
 * clear message naming the variable and exits 78 (EX_CONFIG), without a stack.
 */
export async function main(start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
}
