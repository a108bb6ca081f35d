import { readFileSync } from 'node:fs';
import { ConfigError, createLogger, identityKeySource, loadConfig, main, startService, startTelemetry, stdoutLines } from '@bazaar/kit';
import { DEFAULT_RATE_LIMITS, GatewayConfig, parseRate, parseRateLimits, parseUpstreams, tlsFiles } from './config.ts';
import { buildApp } from './app.ts';
import { RevocationList } from './auth/revocations.ts';
import { RedisBuckets } from './limits/redis.ts';
import { listen } from './server.ts';

function readFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError([{ variable, message: `cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? String(error)})` }]);
  }
}

await main(async () => {
  const config = loadConfig(GatewayConfig);
  startTelemetry({ service: 'gateway', config });
  const files = tlsFiles(config);
  const tls = files ? { cert: readFile('TLS_CERT_FILE', files.cert), key: readFile('TLS_KEY_FILE', files.key), port: config.TLS_PORT } : undefined;
  // Logs and the access log share the kit's batched stdout writer: one write per 32 KiB or per second, flushed on exit.
  const out = stdoutLines();
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const accessLog = config.ACCESS_LOG ? out : undefined;
  // IDENTITY_URL may list several identity instances (the launcher's --scale): the key source tries each.
  const keys = identityKeySource({ identityUrl: config.IDENTITY_URL, logger });
  const redis = config.REDIS_URL ? new RedisBuckets({ url: config.REDIS_URL, prefix: config.RATE_LIMIT_KEY_PREFIX }) : undefined;
  const defaults = parseRateLimits(DEFAULT_RATE_LIMITS);
  const revocations = new RevocationList({ identityUrl: config.IDENTITY_URL, logger });
  revocations.start(config.REVOCATION_POLL_MS);
  const gateway = buildApp({
    logger,
    accessLog,
    upstreams: parseUpstreams(config.BAZAAR_UPSTREAMS),
    keys: keys.getKey,
    revocations,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    userInFlight: config.GATEWAY_USER_IN_FLIGHT,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
    connections: config.UPSTREAM_CONNECTIONS,
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxyHops: config.TRUST_PROXY_HOPS,
    corsOrigins: config.CORS_ORIGINS,
    tokenCacheSize: config.TOKEN_CACHE_SIZE,
    rateLimits: new Map([...defaults, ...parseRateLimits(config.RATE_LIMITS)]),
    loginLimits: { account: parseRate(config.LOGIN_LIMIT_PER_ACCOUNT), accountAll: parseRate(config.LOGIN_LIMIT_PER_ACCOUNT_ALL), ip: parseRate(config.LOGIN_LIMIT_PER_IP) },
    redis,
    healthIntervalMs: config.HEALTH_CHECK_INTERVAL_MS,
    ejectAfter: config.OUTLIER_CONSECUTIVE_FAILURES,
    ejectionMs: config.OUTLIER_EJECTION_MS,
    breakerFailures: config.BREAKER_FAILURES,
    breakerOpenMs: config.BREAKER_OPEN_MS,
  });
  void keys.warm();

  // The gateway serves with its own HTTP (and HTTPS) servers, not fastify's listen; the kit still owns signals, draining and crashes.
  let listening: Awaited<ReturnType<typeof listen>> | undefined;
  await startService({
    config,
    logger,
    app: {
      describe: { where: `${config.HOST}:${config.PORT}${tls ? ` / ${config.TLS_PORT}` : ''} / admin ${config.ADMIN_HOST}:${config.ADMIN_PORT}`, variables: 'PORT, TLS_PORT or ADMIN_PORT' },
      async listen() {
        listening = await listen(gateway, { host: config.HOST, port: config.PORT, tls, admin: { host: config.ADMIN_HOST, port: config.ADMIN_PORT } });
        return { admin: `http://${config.ADMIN_HOST}:${config.ADMIN_PORT}`, http: `http://${config.HOST}:${config.PORT}`, https: tls ? `https://${config.HOST}:${config.TLS_PORT}` : undefined, areas: [...gateway.context.upstreams.keys()], sharedLimits: redis !== undefined };
      },
      async close() {
        // Leave a second of the shutdown budget for closing the app (health checks, Redis) after the drain.
        await listening?.close(Math.max(0, config.SHUTDOWN_TIMEOUT_MS - 1000));
        revocations.stop();
        await gateway.close();
      },
    },
  });
});
