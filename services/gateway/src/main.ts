import { createLogger, loadConfig, main, runService } from '@bazaar/kit';
import { GatewayConfig, parseUpstreams } from './config.ts';
import { buildApp } from './app.ts';

await main(async () => {
  const config = loadConfig(GatewayConfig);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const app = buildApp({
    logger,
    upstreams: parseUpstreams(config.BAZAAR_UPSTREAMS),
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
    bodyLimit: config.BODY_LIMIT_BYTES,
  });
  await runService({ app, host: config.HOST, port: config.PORT, logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
});
