import { ADMIN_PORT, APP_UID, CONTAINER_PORT, DATA_DIR, credentialVariables, upstreamTable, type DeployService } from './model.ts';

type Json = Record<string, unknown>;

/**
 * Where each credential comes from: the shell or an .env file beside
 * compose.yaml (deploy/README.md). No defaults: `${VAR:?}` makes compose
 * refuse to start without them, and the services run with
 * BAZAAR_ENV=production, which refuses weak or known values.
 */
const FROM_SHELL: Record<string, string> = {
  BAZAAR_POSTGRES_URL: 'postgres://bazaar:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@postgres:5432',
  ADMIN_PASSWORD: '${ADMIN_PASSWORD:?set ADMIN_PASSWORD (12 characters or more)}',
  COOKIE_SECRET: '${COOKIE_SECRET:?set COOKIE_SECRET, e.g. openssl rand -base64 32}',
  SMTP_URL: 'smtp://mailpit:1025',
  REDIS_URL: 'redis://redis:6379',
  NATS_URL: 'nats://nats:4222',
};

const healthy = { condition: 'service_healthy' } as const;

function infrastructure(): Json {
  return {
    postgres: {
      image: 'postgres:17-bookworm',
      environment: { POSTGRES_USER: 'bazaar', POSTGRES_PASSWORD: '${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}', POSTGRES_DB: 'bazaar' },
      // Each service creates its own database (bazaar_<service>) on first start.
      volumes: ['postgres-data:/var/lib/postgresql/data'],
      healthcheck: { test: ['CMD-SHELL', 'pg_isready -U bazaar -d bazaar'], interval: '5s', timeout: '3s', retries: 10 },
      restart: 'unless-stopped',
    },
    redis: {
      image: 'redis:7-bookworm',
      volumes: ['redis-data:/data'],
      healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '5s', timeout: '3s', retries: 10 },
      restart: 'unless-stopped',
    },
    nats: {
      image: 'nats:2.11-alpine',
      // -js: JetStream (durable streams), -sd: where it keeps them, -m: the monitoring port the health check asks.
      command: ['-js', '-sd', '/data', '-m', '8222'],
      volumes: ['nats-data:/data'],
      healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8222/healthz?js-enabled-only=true'], interval: '5s', timeout: '3s', retries: 10 },
      restart: 'unless-stopped',
    },
    mailpit: {
      // Development SMTP server: catches every email; its web view is not published (see deploy/README.md).
      image: 'axllent/mailpit:v1.21',
      healthcheck: { test: ['CMD', '/mailpit', 'readyz'], interval: '5s', timeout: '3s', retries: 10 },
      restart: 'unless-stopped',
    },
  };
}

/** The environment one service gets in compose: addresses of its upstreams, infrastructure, credentials. */
function environment(s: DeployService, all: DeployService[]): Record<string, string> {
  const env: Record<string, string> = { BAZAAR_SERVICE: s.name, BAZAAR_ENV: 'production', LOG_LEVEL: '${LOG_LEVEL:-info}' };
  for (const up of s.urlSettings) env[`${up.toUpperCase().replaceAll('-', '_')}_URL`] = `http://${up}:${CONTAINER_PORT}`;
  if (s.gateway) {
    env.BAZAAR_UPSTREAMS = upstreamTable(all, (name) => `http://${name}:${CONTAINER_PORT}`);
    // Production needs TLS here or a TLS-terminating proxy in front whose X-Forwarded-For is trusted.
    env.TRUST_PROXY_HOPS = '${TRUST_PROXY_HOPS:?set TRUST_PROXY_HOPS=1 behind a TLS-terminating proxy (docs/security.md)}';
  }
  env.NATS_URL = FROM_SHELL.NATS_URL as string;
  env.REDIS_URL = FROM_SHELL.REDIS_URL as string;
  for (const key of s.secrets) env[key] = FROM_SHELL[key] ?? `\${${key}:?set ${key}}`;
  if (s.credential) {
    // Its own credential and its callers' digests, from `npm run credentials -- --compose >> deploy/.env`.
    const v = credentialVariables(s.name);
    env.BAZAAR_SERVICE_CREDENTIAL = `\${${v.credential}:?set ${v.credential}: npm run credentials -- --compose >> deploy/.env}`;
    env.BAZAAR_SERVICE_CALLERS = `\${${v.callers}:?set ${v.callers}: npm run credentials -- --compose >> deploy/.env}`;
  }
  return env;
}

function service(s: DeployService, all: DeployService[]): Json {
  const dependsOn: Record<string, typeof healthy> = {};
  if (s.needs.postgres) dependsOn.postgres = healthy;
  if (s.needs.nats) dependsOn.nats = healthy;
  if (s.needs.redis) dependsOn.redis = healthy;
  if (s.needs.smtp) dependsOn.mailpit = healthy;
  // Services call each other both ways (cart <-> orders), so they wait only for infrastructure and
  // retry their peers; the gateway, which nobody calls, opens when every upstream is ready.
  if (s.gateway) for (const up of s.upstreams) dependsOn[up] = healthy;
  return {
    build: { context: '..', dockerfile: 'deploy/Dockerfile', args: { SERVICE: s.name } },
    image: `bazaar/${s.name}:${s.version}`,
    environment: environment(s, all),
    ...(Object.keys(dependsOn).length > 0 ? { depends_on: dependsOn } : {}),
    ...(s.gateway ? { ports: [`\${GATEWAY_PORT:-8080}:${CONTAINER_PORT}`] } : {}),
    // Compose waits on readiness (/readyz); the image's own HEALTHCHECK is liveness (/healthz).
    healthcheck: {
      // The gateway answers /readyz on its admin listener only.
      test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${s.gateway ? ADMIN_PORT : CONTAINER_PORT}/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
      interval: '10s',
      timeout: '3s',
      retries: 6,
      start_period: '30s',
    },
    user: `${APP_UID}:${APP_UID}`,
    read_only: true,
    tmpfs: ['/tmp'],
    volumes: [`${s.name}-data:${DATA_DIR}`],
    cap_drop: ['ALL'],
    security_opt: ['no-new-privileges:true'],
    stop_grace_period: '20s',
    restart: 'unless-stopped',
  };
}

/** The whole compose file: infrastructure, then one entry per service. */
export function composeFile(services: DeployService[]): Json {
  const out: Record<string, Json> = {};
  for (const s of services) out[s.name] = service(s, services);
  const volumes: Record<string, Json> = { 'postgres-data': {}, 'redis-data': {}, 'nats-data': {} };
  for (const s of services) volumes[`${s.name}-data`] = {};
  return { name: 'bazaar', services: { ...infrastructure(), ...out }, volumes };
}

