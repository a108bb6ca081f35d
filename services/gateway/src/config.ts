import { Type, type Static } from 'typebox';
import { ConfigError, configSchema } from '@bazaar/kit';

const AREA_URL = '[a-z][a-z0-9-]*=https?://[^,\\s]+';
const RATE = '[1-9][0-9]*/[0-9]*(s|m|min|h)';
const CLASS_RATE = `[a-z][a-z0-9-]*=${RATE}`;

/** Rate-limit classes used by the routing table; RATE_LIMITS overrides them one by one. */
export const DEFAULT_RATE_LIMITS = 'read=1200/min,write=300/min,auth=60/min';

/** Gateway configuration, from the environment. */
export const GatewayConfig = configSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  BAZAAR_UPSTREAMS: Type.String({
    pattern: `^(${AREA_URL}(,${AREA_URL})*)?$`,
    default: '',
    description:
      'Routing table: area=url pairs separated by commas; the same area repeated lists several instances, e.g. catalog=http://127.0.0.1:8082,payments=http://127.0.0.1:8086,payments=http://127.0.0.1:8186',
  }),
  IDENTITY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8081', description: 'Where the JWKS is fetched from (/.well-known/jwks.json)' }),
  REVOCATION_POLL_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 2000, description: "How often identity's list of revoked sessions (logouts) is fetched" }),
  GATEWAY_USER_IN_FLIGHT: Type.Integer({ minimum: 1, maximum: 10_000, default: 16, description: 'Requests one signed-in user may have in flight to one service at once; 429 past it, so one client cannot trip a breaker for everyone' }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1500, description: 'Deadline budget of one request, passed downstream in bazaar-deadline-ms' }),
  UPSTREAM_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 10_000, default: 500 }),
  UPSTREAM_CONNECTIONS: Type.Integer({ minimum: 1, maximum: 1024, default: 64, description: 'Keep-alive connections per upstream instance' }),
  HEALTH_CHECK_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 2000 }),
  OUTLIER_CONSECUTIVE_FAILURES: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
  OUTLIER_EJECTION_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000, description: 'First ejection time; doubles for each repeated ejection (at most 10x)' }),
  BREAKER_FAILURES: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, description: 'Consecutive failures of a whole service that open its circuit' }),
  BREAKER_OPEN_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  RATE_LIMITS: Type.String({
    pattern: `^${CLASS_RATE}(,${CLASS_RATE})*$`,
    default: DEFAULT_RATE_LIMITS,
    description: 'Token bucket per user (per IP when anonymous) and route class: class=count/period (s, m, min, h; e.g. 10s, 15m)',
  }),
  LOGIN_LIMIT_PER_ACCOUNT: Type.String({ pattern: `^${RATE}$`, default: '10/15m', description: 'Failed logins allowed per account from one client IP (that IP is then refused for the account)' }),
  LOGIN_LIMIT_PER_ACCOUNT_ALL: Type.String({
    pattern: `^${RATE}$`,
    default: '50/15m',
    description: 'Failed logins allowed per account from every IP together; past it, only IPs that logged in to the account before may try',
  }),
  LOGIN_LIMIT_PER_IP: Type.String({ pattern: `^${RATE}$`, default: '100/15m', description: 'Failed logins allowed per client IP' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'Share rate-limit buckets between gateway instances' })),
  RATE_LIMIT_KEY_PREFIX: Type.String({ minLength: 1, maxLength: 100, default: 'bazaar:ratelimit:' }),
  TOKEN_CACHE_SIZE: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10_000 }),
  TRUST_PROXY_HOPS: Type.Integer({ minimum: 0, maximum: 10, default: 0, description: 'Proxies in front of the gateway whose X-Forwarded-For entries are trusted' }),
  CORS_ORIGINS: Type.String({ pattern: '^(\\*|(https?://[^,\\s/]+(,https?://[^,\\s/]+)*))?$', default: '', description: 'Origins allowed to call the API from a browser, comma-separated, or *' }),
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8443 }),
  ADMIN_HOST: Type.String({ default: '127.0.0.1', description: 'Interface of the admin listener (/metrics, /readyz, /openapi.json); in a pod, 0.0.0.0 with a NetworkPolicy' }),
  ADMIN_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9080, description: 'Port of the admin listener; the public port serves /api, /docs and /healthz only' }),
  ACCESS_LOG: Type.Boolean({ default: true }),
});

export type GatewayConfigValues = Static<typeof GatewayConfig>;

/** A token bucket: `capacity` tokens, refilled at `capacity` per `periodMs`. */
export interface Rate {
  capacity: number;
  periodMs: number;
}

/** Parse `area=url,area=url` into area -> instance URLs; a repeated area adds an instance. */
export function parseUpstreams(value: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of value.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    const area = pair.slice(0, at);
    const url = pair.slice(at + 1).replace(/\/+$/, '');
    const list = out.get(area) ?? [];
    if (!list.includes(url)) list.push(url);
    out.set(area, list);
  }
  return out;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Parse `count/period`, e.g. `10/15m` or `1200/min`. */
export function parseRate(value: string): Rate {
  const m = /^([1-9][0-9]*)\/([0-9]*)(s|m|min|h)$/.exec(value);
  if (!m) throw new Error(`not a rate: "${value}" (use count/period, e.g. 100/min)`);
  const times = m[2] === '' ? 1 : Number(m[2]);
  if (times === 0) throw new Error(`not a rate: "${value}" (the period is zero)`);
  return { capacity: Number(m[1]), periodMs: times * (UNIT_MS[m[3] as string] as number) };
}

/** Parse `class=count/period,...` into class -> rate. */
export function parseRateLimits(value: string): Map<string, Rate> {
  const out = new Map<string, Rate>();
  for (const item of value.split(',').filter(Boolean)) {
    const at = item.indexOf('=');
    out.set(item.slice(0, at), parseRate(item.slice(at + 1)));
  }
  return out;
}

/** The TLS files, when both are set; one without the other is a configuration error. */
export function tlsFiles(config: Pick<GatewayConfigValues, 'TLS_CERT_FILE' | 'TLS_KEY_FILE'>): { cert: string; key: string } | undefined {
  const { TLS_CERT_FILE: cert, TLS_KEY_FILE: key } = config;
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined) throw new ConfigError([{ variable: 'TLS_CERT_FILE', message: 'is required when TLS_KEY_FILE is set' }]);
  if (key === undefined) throw new ConfigError([{ variable: 'TLS_KEY_FILE', message: 'is required when TLS_CERT_FILE is set' }]);
  return { cert, key };
}
