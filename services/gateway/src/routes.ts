/**
 * The routing table: for every public area, which paths and methods the
 * gateway lets through and who may call them. This is the one place where
 * an endpoint's exposure is decided. Services still check every resource
 * they return belongs to the caller (defence in depth).
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
 * paths are never reachable: only /api/<area>/... is routed at all.
 */
export type Access = 'public' | 'user' | 'admin';

export interface RouteSpec {
  method: string | string[];
  path: string;
  access: Access;
  limit?: string;
  login?: boolean;
  /** Largest body accepted on this route, when smaller than BODY_LIMIT_BYTES. */
  bodyLimit?: number;
}

export const ROUTES: Record<string, RouteSpec[]> = {
  identity: [
    { method: 'POST', path: '/api/identity/register', access: 'public', limit: 'auth', bodyLimit: 16_384 },
    { method: 'POST', path: '/api/identity/login', access: 'public', limit: 'auth', login: true, bodyLimit: 8192 },
    { method: 'POST', path: '/api/identity/refresh', access: 'public', limit: 'auth', bodyLimit: 8192 },
    { method: 'GET', path: '/api/identity/me', access: 'user' },
  ],
  catalog: [
    { method: 'GET', path: '/api/catalog/products', access: 'public' },
    { method: 'GET', path: '/api/catalog/products/:id', access: 'public' },
    { method: 'GET', path: '/api/catalog/categories', access: 'public' },
    { method: 'POST', path: '/api/catalog/products', access: 'admin' },
    { method: 'PATCH', path: '/api/catalog/products/:id', access: 'admin' },
  ],
  inventory: [
    { method: 'GET', path: '/api/inventory/:productId', access: 'public' },
    { method: 'PUT', path: '/api/inventory/:productId', access: 'admin' },
  ],
  search: [
    { method: 'GET', path: '/api/search', access: 'public' },
    { method: 'GET', path: '/api/search/*', access: 'public' },
  ],
  cart: [
    { method: 'GET', path: '/api/cart', access: 'user' },
    { method: ['PUT', 'DELETE'], path: '/api/cart/items/:productId', access: 'user' },
  ],
  checkout: [{ method: 'POST', path: '/api/checkout', access: 'user' }],
  orders: [
    { method: 'GET', path: '/api/orders', access: 'user' },
    { method: 'GET', path: '/api/orders/:id', access: 'user' },
  ],
  reports: [{ method: 'GET', path: '/api/reports/*', access: 'admin' }],
};

/**
 * Rules for an area served by a service but absent from ROUTES (a service
 * added without updating this table): reads are public, writes need a user,
 * and the service's own checks decide the rest. The gateway warns at start-up.
 */
export function defaultRules(area: string): RouteSpec[] {
  return [
    { method: ['GET', 'HEAD'], path: `/api/${area}`, access: 'public' },
    { method: ['GET', 'HEAD'], path: `/api/${area}/*`, access: 'public' },
    { method: ['POST', 'PUT', 'PATCH', 'DELETE'], path: `/api/${area}`, access: 'user' },
    { method: ['POST', 'PUT', 'PATCH', 'DELETE'], path: `/api/${area}/*`, access: 'user' },
  ];
}

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
    test: (path) => regex.test(path),
  };
}

/** The routing table compiled for the areas that have upstreams. */
export class RouteTable {
  private readonly byArea = new Map<string, Route[]>();
  /** Areas that fell back to defaultRules(). */
  readonly defaulted: string[] = [];

  constructor(areas: Iterable<string>, table: Record<string, RouteSpec[]> = ROUTES) {
    for (const area of areas) {
      const specs = table[area];
      if (!specs) this.defaulted.push(area);
      this.byArea.set(area, (specs ?? defaultRules(area)).map((spec) => compile(area, spec)));
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
