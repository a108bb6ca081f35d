import type { Static, TSchema } from 'typebox';

/**
 * Route descriptors: every HTTP route of every service, declared once. The
 * owning service registers its handler from the descriptor (the kit), callers
 * call it through the kit's typed client, and the gateway's routing table and
 * every OpenAPI document are generated from the same objects
 * (docs/adr/0010-route-descriptors.md).
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route.
 * - public: anyone (a token, when sent to the gateway, must still be valid);
 * - user:   a valid access token;
 * - admin:  a valid access token carrying the `admin` role;
 * - service: a service credential; `callers` names the services whose
 *            credentials it accepts (any other service is refused 403), and
 *            OPERATOR the operator's tools (read-only and maintenance routes).
 */
export type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'user' }
  | { readonly kind: 'admin' }
  | { readonly kind: 'service'; readonly callers: readonly string[] };

/** The caller name of the operator's tools (launcher, chaos checker, tests, curl): never a service. */
export const OPERATOR = 'operator';

/** The access levels, for descriptors: `access: access.user`, `access: access.service('orders')`. */
export const access = {
  public: { kind: 'public' },
  user: { kind: 'user' },
  admin: { kind: 'admin' },
  service: (...callers: string[]): Access => ({ kind: 'service', callers }),
} as const satisfies Record<string, Access | ((...callers: string[]) => Access)>;

/** How the gateway treats a public route (only meaningful for /api paths). */
export interface EdgeOptions {
  /** Rate-limit class; by default `read` for GET/HEAD and `write` otherwise. */
  readonly limit?: string;
  /** Failures of this route count against the login limits. */
  readonly login?: boolean;
  /** Largest body accepted, when smaller than the gateway's global limit. */
  readonly bodyLimit?: number;
  /** How long the gateway waits for the upstream, when not its global timeout. */
  readonly timeoutMs?: number;
  /**
   * For an idempotent route: the longest one instance gets to answer (status line
   * and headers) before the gateway sends the same request to another instance,
   * within the same `timeoutMs`. The gateway reads such a route's body in full
   * first, so it can be sent again. Only with more than one instance; the first
   * instance is told this shorter budget, so a healthy one answers inside it.
   */
  readonly tryMs?: number;
}

/** One route: what it is, who may call it, what goes in and what comes out. */
export interface RouteDef {
  /** The service that serves it (its folder name under services/ or tools/). */
  readonly service: string;
  readonly method: HttpMethod;
  /** fastify-style path: `:name` is one segment, e.g. `/api/orders/:id`. */
  readonly path: string;
  readonly access: Access;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly params?: TSchema;
  readonly query?: TSchema;
  readonly headers?: TSchema;
  readonly body?: TSchema;
  /** Successful answers: status → body schema. */
  readonly responses: Readonly<Record<number, TSchema>>;
  /** Error statuses it may answer, always application/problem+json. */
  readonly errors: readonly number[];
  /** Safe to retry after a transient failure (default: GET/HEAD/PUT/DELETE are). */
  readonly idempotent?: boolean;
  /** Left out of OpenAPI documents (internal plumbing such as the event feed). */
  readonly hidden?: boolean;
  readonly edge?: EdgeOptions;
}

/** Declare a route. Checks, once at import, that the path and its params schema agree. */
export function defineRoute<const R extends RouteDef>(def: R): R {
  const names = [...def.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
  const declared = Object.keys((def.params as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
  for (const name of names) {
    if (!declared.includes(name)) throw new Error(`route ${def.method} ${def.path}: path parameter :${name} is not in its params schema`);
  }
  for (const name of declared) {
    if (!names.includes(name)) throw new Error(`route ${def.method} ${def.path}: params schema declares "${name}", which is not in the path`);
  }
  if (def.access.kind === 'service' && !def.path.startsWith('/internal/')) {
    throw new Error(`route ${def.method} ${def.path}: service-only routes live under /internal/`);
  }
  if (def.path.startsWith('/internal/') && def.access.kind !== 'service') {
    throw new Error(`route ${def.method} ${def.path}: /internal/ routes take the service credential (access.service(...))`);
  }
  return def;
}

type StaticOf<S> = S extends TSchema ? Static<S> : undefined;

/** The path parameters of a route, typed. */
export type ParamsOf<R extends RouteDef> = StaticOf<R['params']>;
/** The query of a route, typed (after defaults). */
export type QueryOf<R extends RouteDef> = StaticOf<R['query']>;
/** The request body of a route, typed. */
export type BodyOf<R extends RouteDef> = StaticOf<R['body']>;
/** The declared request headers of a route, typed. */
export type HeadersOf<R extends RouteDef> = StaticOf<R['headers']>;
/** Any successful answer's body. */
export type ReplyOf<R extends RouteDef> = { [K in keyof R['responses']]: R['responses'][K] extends TSchema ? Static<R['responses'][K]> : never }[keyof R['responses']];

type Field<K extends string, S> = S extends TSchema ? { readonly [P in K]: Static<S> } : { readonly [P in K]?: undefined };

/** What a caller passes to call a route: only the parts the route declares, typed. */
export type InputOf<R extends RouteDef> = Field<'params', R['params']> & Field<'query', R['query']> & Field<'body', R['body']> & Field<'headers', R['headers']>;

/** The concrete path of a route for the given params (each value URI-encoded). */
export function pathOf(route: RouteDef, params: Readonly<Record<string, unknown>> | undefined): string {
  return route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null || value === '') throw new Error(`route ${route.method} ${route.path}: missing path parameter "${name}"`);
    return encodeURIComponent(String(value));
  });
}

/** The public area of an /api route (its second segment), or undefined for other paths. */
export function areaOf(route: RouteDef): string | undefined {
  const match = /^\/api\/([^/]+)/.exec(route.path);
  return match?.[1];
}
