import { areaOf, serviceRoutes, type RouteDef } from '@bazaar/contracts';

/**
 * The routing table: for every public area, which paths and methods the
 * gateway lets through and who may call them. It is generated from the route
 * descriptors in @bazaar/contracts (docs/adr/0010-route-descriptors.md): a
 * service declares a public route once, and the gateway routes it with the
 * access the descriptor gives. Services still check every resource they
 * return belongs to the caller (defence in depth).
 *
 * - `public`: anyone; a token, when sent, must still be valid.
 * - `user`:   a valid access token.
 * - `admin`:  a valid access token carrying the `admin` role.
 *
 * `limit` names the rate-limit class (RATE_LIMITS); by default `read` for
 * GET/HEAD and `write` for the rest. `login` marks the route whose failures
 * count against the per-account and per-IP login limits.
 *
 * Paths: `:name` matches one segment, a trailing `/*` one or more. /internal
 * paths are never reachable: only /api/<area>/... is routed at all, and an
 * area with no descriptor is a start-up error (deny by default).
 */
export type Access = 'public' | 'user' | 'admin';

/** Methods safe to send again whatever the route (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export interface RouteSpec {
  method: string | string[];
  path: string;
  access: Access;
  limit?: string;
  login?: boolean;
  /** Largest body accepted on this route, when smaller than BODY_LIMIT_BYTES. */
  bodyLimit?: number;
  /** How long the gateway waits for the upstream on this route, when not TIMEOUT_MS. */
  timeoutMs?: number;
  /** Safe to send again (a POST with an Idempotency-Key, say); GET, HEAD, OPTIONS, PUT and DELETE always are. */
  idempotent?: boolean;
  /** Idempotent routes: how long one instance gets before the request goes to another (EdgeOptions.tryMs). */
  tryMs?: number;
}

/** The routing table of some descriptors: area → rules. Throws on a descriptor the edge cannot expose. */
export function routesFromDescriptors(defs: readonly RouteDef[]): Record<string, RouteSpec[]> {
  const table: Record<string, RouteSpec[]> = {};
  for (const def of defs) {
    const area = areaOf(def);
    if (area === undefined) continue;
    if (def.access.kind === 'service') throw new Error(`${def.method} ${def.path}: an /api route cannot be service-only (put it under /internal)`);
    const spec: RouteSpec = {
      method: def.method,
      path: def.path,
      access: def.access.kind,
      ...(def.edge?.limit === undefined ? {} : { limit: def.edge.limit }),
      ...(def.edge?.login === undefined ? {} : { login: def.edge.login }),
      ...(def.edge?.bodyLimit === undefined ? {} : { bodyLimit: def.edge.bodyLimit }),
      ...(def.edge?.timeoutMs === undefined ? {} : { timeoutMs: def.edge.timeoutMs }),
      ...(def.idempotent === undefined ? {} : { idempotent: def.idempotent }),
      ...(def.edge?.tryMs === undefined ? {} : { tryMs: def.edge.tryMs }),
    };
    if (spec.tryMs !== undefined && !(spec.idempotent ?? IDEMPOTENT_METHODS.has(def.method))) {
      throw new Error(`${def.method} ${def.path}: edge.tryMs sends a request twice; declare the route idempotent first`);
    }
    (table[area] ??= []).push(spec);
  }
  return table;
}

/** The table generated from every service's public route descriptors. */
export const ROUTES: Record<string, RouteSpec[]> = routesFromDescriptors(serviceRoutes);

/** A compiled rule. */
export interface Route {
  /** The pattern, used as the `route` label in logs and metrics. */
  pattern: string;
  area: string;
  methods: ReadonlySet<string>;
  access: Access;
  limit: string;
  login: boolean;
  bodyLimit: number | undefined;
  timeoutMs: number | undefined;
  /** Every method of the rule is safe to send again. */
  idempotent: boolean;
  tryMs: number | undefined;
  test(path: string): boolean;
}

function compile(area: string, spec: RouteSpec): Route {
  const methods = new Set(Array.isArray(spec.method) ? spec.method : [spec.method]);
  if (methods.has('GET')) methods.add('HEAD');
  const source = spec.path
    .split('/')
    .map((segment) => (segment === '*' ? '[^/]+(?:/[^/]+)*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  const regex = new RegExp(`^${source}$`);
  const readOnly = [...methods].every((m) => m === 'GET' || m === 'HEAD');
  return {
    pattern: spec.path,
    area,
    methods,
    access: spec.access,
    limit: spec.limit ?? (readOnly ? 'read' : 'write'),
    login: spec.login === true,
    bodyLimit: spec.bodyLimit,
    timeoutMs: spec.timeoutMs,
    idempotent: spec.idempotent ?? [...methods].every((m) => IDEMPOTENT_METHODS.has(m)),
    tryMs: spec.tryMs,
    test: (path) => regex.test(path),
  };
}

/** The routing table compiled for the areas that have upstreams. */
export class RouteTable {
  private readonly byArea = new Map<string, Route[]>();

  /** Throws when an area that has upstreams has no rules: nothing is exposed by default. */
  constructor(areas: Iterable<string>, table: Record<string, RouteSpec[]> = ROUTES) {
    const missing: string[] = [];
    for (const area of areas) {
      const specs = table[area];
      if (!specs) missing.push(area);
      else this.byArea.set(area, specs.map((spec) => compile(area, spec)));
    }
    if (missing.length > 0) {
      throw new Error(
        `no route descriptors for the area(s) ${missing.join(', ')}: declare the service's /api routes in @bazaar/contracts (and list them in serviceRoutes); the gateway exposes nothing by default`,
      );
    }
  }

  /** Whether any rule exists for `area`. */
  has(area: string): boolean {
    return this.byArea.has(area);
  }

  /** Every compiled rule (for docs). */
  all(): Route[] {
    return [...this.byArea.values()].flat();
  }

  /** The rule for a method and a path (without query) in `area`, if any. */
  match(area: string, method: string, path: string): Route | undefined {
    const routes = this.byArea.get(area);
    if (routes) for (const route of routes) if (route.methods.has(method) && route.test(path)) return route;
    return undefined;
  }

  /** When match() found nothing: the methods other rules accept for this path (empty: no such route, 404). */
  allowedMethods(area: string, path: string): string[] {
    const allowed = new Set<string>();
    for (const route of this.byArea.get(area) ?? []) if (route.test(path)) for (const m of route.methods) allowed.add(m);
    return [...allowed];
  }
}
