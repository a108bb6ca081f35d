import type { Logger } from 'pino';
import { ConfigError } from './config.ts';
import type { ServiceApp } from './app.ts';
import { flushTelemetry } from './telemetry.ts';

export interface RunOptions {
  app: ServiceApp;
  host: string;
  port: number;
  logger: Logger;
  shutdownTimeoutMs: number;
}

/**
 * Listen, then on SIGTERM/SIGINT stop accepting, drain in-flight requests,
 * run the app's onClose hooks (stores, relays) and exit. A second signal, or
 * a drain that overruns the timeout, exits at once.
 */
export async function runService(opts: RunOptions): Promise<void> {
  const { app, logger } = opts;
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down: draining requests');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: opts.shutdownTimeoutMs }, 'shutdown timed out: exiting');
      process.exit(1);
    }, opts.shutdownTimeoutMs);
    timer.unref();
    app.close().then(
      async () => {
        // The last spans (the drain's own) leave before the process does.
        await flushTelemetry();
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection: exiting');
    process.exit(1);
  });

  try {
    const address = await app.listen({ host: opts.host, port: opts.port });
    logger.info({ address }, 'listening');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const hint = code === 'EADDRINUSE' ? ` (port ${opts.port} is taken: set PORT to a free one)` : '';
    logger.fatal({ err: error }, `cannot listen on ${opts.host}:${opts.port}${hint}`);
    process.exit(1);
  }
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
