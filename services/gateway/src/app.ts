import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { JWTVerifyGetKey } from 'jose';
import { Gauge, type Counter, type Histogram } from 'prom-client';
import { configDefault, createServiceApp, type Logger, type ServiceApp } from '@bazaar/kit';
import type { RevocationList } from './auth/revocations.ts';
import { TokenVerifier } from './auth/verifier.ts';
import { GatewayConfig, parseRate, parseRateLimits, type Rate } from './config.ts';
import { docsRoutes } from './docs/routes.ts';
import { RateLimiter, type LoginLimits } from './limits/limiter.ts';
import { InFlightLimiter } from './limits/in-flight.ts';
import type { RedisBuckets } from './limits/redis.ts';
import { AccessLog, type LineSink } from './proxy/access-log.ts';
import { ProxyMetrics, type ProxyContext } from './proxy/context.ts';
import { Cors } from './proxy/cors.ts';
import { Exchange } from './proxy/exchange.ts';
import { SECURITY_HEADERS } from './proxy/headers.ts';
import { serviceRoutes, type RouteDef } from '@bazaar/contracts';
import { PAGE_RULES, WEB_AREA, WEB_ROUTES, isWebPath } from './proxy/web.ts';
import { RouteTable, routesFromDescriptors, type RouteSpec } from './routes.ts';
import { Upstream } from './upstream/balancer.ts';
import { startHealthChecks } from './upstream/health.ts';

export interface GatewayDeps {
  logger: Logger;
  /** Where the one-line-per-request access log goes; undefined turns it off. */
  accessLog?: LineSink | undefined;
  /** area -> instance URLs. */
  upstreams: Map<string, string[]>;
  /** Key source for access tokens (identity's JWKS). */
  keys: JWTVerifyGetKey;
  /** Sessions revoked at identity (logout): their access tokens are refused. Polled by main.ts; tests set it. */
  revocations?: RevocationList;
  timeoutMs?: number;
  /** Requests one user may have in flight to one service (GATEWAY_USER_IN_FLIGHT); 429 past it. Default 16. */
  userInFlight?: number;
  connectTimeoutMs?: number;
  connections?: number;
  bodyLimit?: number;
  trustProxyHops?: number;
  corsOrigins?: string;
  tokenCacheSize?: number;
  rateLimits?: Map<string, Rate>;
  loginLimits?: LoginLimits;
  redis?: RedisBuckets | undefined;
  healthIntervalMs?: number;
  ejectAfter?: number;
  ejectionMs?: number;
  breakerFailures?: number;
  breakerOpenMs?: number;
  /** The route descriptors the routing table and /docs are generated from; default: every service's. */
  descriptors?: readonly RouteDef[];
  /** Override the routing table itself (tests of the proxy path). */
  routes?: Record<string, RouteSpec[]>;
  defaultMetrics?: boolean;
}

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

/** The gateway: the proxy path, and the kit's app for everything outside /api (health, metrics, docs). */
export interface Gateway {
  app: ServiceApp;
  context: ProxyContext;
  upstreams: Upstream[];
  /** The public request listener; `https` tells which listener it is (HSTS, X-Forwarded-Proto). Outside /api it serves PUBLIC_PATHS only. */
  listener(https: boolean): (req: AnyRequest, res: AnyResponse) => void;
  /** The admin listener (metrics, readiness, the gateway's own OpenAPI): never the public port. */
  adminListener(): (req: AnyRequest, res: AnyResponse) => void;
  /** Stop health checks, close the app, the pools and the limiter. */
  close(): Promise<void>;
}

/**
 * What the public port serves besides /api: liveness and the API reference.
 * /metrics (which lists internal instance URLs), /readyz and the gateway's
 * own /openapi.json are on the admin listener only (issue 13, item 11).
 */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/docs', '/docs/openapi.json']);

const NOT_FOUND = JSON.stringify({ type: 'urn:bazaar:problem:route-not-found', title: 'No such route', status: 404, code: 'ROUTE_NOT_FOUND', detail: 'Nothing is served here; the API is under /api/ (reference: /docs).' });

/**
 * Build the gateway. Requests under /api/ take the proxy path (plain
 * node:http, an undici pool per instance, no framework in between: see
 * docs/adr/0009-gateway-edge.md); the rest goes to a kit app. No listen()
 * here: main.ts (or a test) opens the ports with listener().
 */
export function buildApp(deps: GatewayDeps): Gateway {
  const app = createServiceApp({
    name: 'gateway',
    description: 'The single public entry point: routing, authentication, rate limits, TLS, load balancing, request logs',
    logger: deps.logger,
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  // Generated from the route descriptors; an area without any is a start-up error (deny by default).
  const descriptors = deps.descriptors ?? serviceRoutes;
  // Pages (/, /admin, assets) go to the storefront when there is one; without it the gateway serves only the API.
  // The storefront's own area has no /api routes: its pages have their own rules (proxy/web.ts).
  const web = deps.upstreams.has(WEB_AREA) ? { area: WEB_AREA, rules: PAGE_RULES } : undefined;
  const routes = new RouteTable(web ? [...deps.upstreams.keys(), PAGE_RULES] : deps.upstreams.keys(), {
    [WEB_AREA]: [],
    ...(deps.routes ?? routesFromDescriptors(descriptors)),
    [PAGE_RULES]: WEB_ROUTES,
  });

  // Areas served by the same instances share one upstream: one pool, one breaker, one health state.
  const byInstances = new Map<string, Upstream>();
  const upstreams = new Map<string, Upstream>();
  for (const [area, urls] of deps.upstreams) {
    const key = [...urls].sort().join(' ');
    let upstream = byInstances.get(key);
    if (!upstream) {
      upstream = new Upstream(area, urls, {
        connectTimeoutMs: deps.connectTimeoutMs ?? configDefault(GatewayConfig, 'UPSTREAM_CONNECT_TIMEOUT_MS'),
        connections: deps.connections ?? configDefault(GatewayConfig, 'UPSTREAM_CONNECTIONS'),
        ejectAfter: deps.ejectAfter ?? configDefault(GatewayConfig, 'OUTLIER_CONSECUTIVE_FAILURES'),
        ejectionMs: deps.ejectionMs ?? configDefault(GatewayConfig, 'OUTLIER_EJECTION_MS'),
        breakerFailures: deps.breakerFailures ?? configDefault(GatewayConfig, 'BREAKER_FAILURES'),
        breakerOpenMs: deps.breakerOpenMs ?? configDefault(GatewayConfig, 'BREAKER_OPEN_MS'),
        logger: deps.logger,
      });
      byInstances.set(key, upstream);
    }
    upstreams.set(area, upstream);
  }
  const all = [...byInstances.values()];
  const health = startHealthChecks(all, deps.healthIntervalMs ?? configDefault(GatewayConfig, 'HEALTH_CHECK_INTERVAL_MS'));

  const limiter = new RateLimiter({
    classes: deps.rateLimits ?? parseRateLimits(configDefault(GatewayConfig, 'RATE_LIMITS')),
    login: deps.loginLimits ?? { account: parseRate(configDefault(GatewayConfig, 'LOGIN_LIMIT_PER_ACCOUNT')), ip: parseRate(configDefault(GatewayConfig, 'LOGIN_LIMIT_PER_IP')) },
    logger: deps.logger,
    ...(deps.redis ? { redis: deps.redis } : {}),
  });
  const registry = app.metrics.registry;
  const context: ProxyContext = {
    logger: deps.logger,
    routes,
    upstreams,
    verifier: new TokenVerifier({
      keys: deps.keys,
      cacheSize: deps.tokenCacheSize ?? configDefault(GatewayConfig, 'TOKEN_CACHE_SIZE'),
      ...(deps.revocations ? { revoked: (fid: string | undefined) => (deps.revocations as RevocationList).has(fid) } : {}),
    }),
    limiter,
    inFlight: new InFlightLimiter(deps.userInFlight ?? configDefault(GatewayConfig, 'GATEWAY_USER_IN_FLIGHT')),
    cors: new Cors(deps.corsOrigins ?? configDefault(GatewayConfig, 'CORS_ORIGINS')),
    accessLog: deps.accessLog ? new AccessLog(deps.accessLog) : undefined,
    metrics: new ProxyMetrics(
      registry.getSingleMetric('http_requests_total') as Counter<'method' | 'route' | 'status'>,
      registry.getSingleMetric('http_request_duration_seconds') as Histogram<'method' | 'route' | 'status'>,
    ),
    timeoutMs: deps.timeoutMs ?? configDefault(GatewayConfig, 'UPSTREAM_TIMEOUT_MS'),
    bodyLimit: deps.bodyLimit ?? configDefault(GatewayConfig, 'BODY_LIMIT_BYTES'),
    trustProxyHops: deps.trustProxyHops ?? configDefault(GatewayConfig, 'TRUST_PROXY_HOPS'),
    closing: false,
  };
  registerGatewayMetrics(app, all, limiter);

  app.addHook('onSend', async (request, reply, payload) => {
    for (let i = 0; i < SECURITY_HEADERS.length; i += 2) {
      const name = SECURITY_HEADERS[i] as string;
      if (!reply.hasHeader(name)) reply.header(name, SECURITY_HEADERS[i + 1] as string);
    }
    return payload;
  });
  app.register(docsRoutes({ descriptors, routes }));
  app.addHook('preClose', async () => {
    context.closing = true;
  });

  return {
    app,
    context,
    upstreams: all,
    adminListener() {
      return app.routing as unknown as (req: AnyRequest, res: AnyResponse) => void;
    },
    listener(https) {
      const fallback = app.routing as unknown as (req: AnyRequest, res: AnyResponse) => void;
      return (req, res) => {
        const url = req.url;
        if (url === undefined) return fallback(req, res);
        const page = web !== undefined && isWebPath(url);
        if (!page && !url.startsWith('/api/')) {
          const q = url.indexOf('?');
          const path = q < 0 ? url : url.slice(0, q);
          if (PUBLIC_PATHS.has(path)) return fallback(req, res);
          const out = res as ServerResponse;
          out.writeHead(404, [...SECURITY_HEADERS, 'content-type', 'application/problem+json', 'content-length', String(Buffer.byteLength(NOT_FOUND))]);
          out.end(req.method === 'HEAD' ? undefined : NOT_FOUND);
          return;
        }
        const exchange = new Exchange(context, req, res, https, page ? web : undefined);
        try {
          exchange.run();
        } catch (error) {
          exchange.crashed(error);
        }
      };
    },
    async close() {
      health.stop();
      context.closing = true;
      await app.close();
      await Promise.all(all.map((u) => u.close()));
      await limiter.close();
    },
  };
}

/** Upstream health, breaker state and limiter figures, computed when scraped (nothing on the hot path). */
function registerGatewayMetrics(app: ServiceApp, upstreams: Upstream[], limiter: RateLimiter): void {
  const registers = [app.metrics.registry];
  new Gauge({
    name: 'gateway_upstream_instance_available',
    help: '1 when the instance is in rotation (healthy and not ejected)',
    labelNames: ['upstream', 'instance'] as const,
    registers,
    collect() {
      const now = Date.now();
      for (const u of upstreams) for (const i of u.instances) this.set({ upstream: u.name, instance: i.url }, i.healthy && !i.ejected(now) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gateway_upstream_breaker_open',
    help: '1 while the circuit of the upstream is open or half-open',
    labelNames: ['upstream'] as const,
    registers,
    collect() {
      for (const u of upstreams) this.set({ upstream: u.name }, u.breaker.state === 'closed' ? 0 : 1);
    },
  });
  new Gauge({
    name: 'gateway_ratelimit_store_fallbacks',
    help: 'Rate-limit decisions taken locally because Redis did not answer',
    registers,
    collect() {
      this.set(limiter.fallbacks);
    },
  });
}
