import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { Problem, type Access, type BodyOf, type HeadersOf, type ParamsOf, type QueryOf, type ReplyOf, type RouteDef } from '@bazaar/contracts';
import type { ServiceApp } from './app.ts';
import type { Authenticator } from './auth.ts';
import { commonErrors } from './errors.ts';
import { verifyCaller, type ServiceCredentials } from './service-auth.ts';

/** A request to a declared route: params, query, body and headers typed from its descriptor. */
export type RouteRequest<R extends RouteDef> = FastifyRequest & {
  params: ParamsOf<R>;
  query: QueryOf<R>;
  body: BodyOf<R>;
  headers: FastifyRequest['headers'] & Partial<HeadersOf<R>>;
};

/** A handler for a declared route: returns a successful body (sent as 200), or the reply it sent itself. */
export type RouteHandler<R extends RouteDef> = (request: RouteRequest<R>, reply: FastifyReply) => Promise<ReplyOf<R> | FastifyReply> | ReplyOf<R> | FastifyReply;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; enforced by the kit's one onRequest hook (accessHook). */
    access?: Access;
  }
}

/** Error bodies, declared as what they are: application/problem+json. */
function problemResponse(status: number) {
  return { description: `Problem details (RFC 9457), status ${status}`, content: { 'application/problem+json': { schema: Problem } } };
}

/** The fastify schema (validation and OpenAPI) of a descriptor. */
export function routeSchema(route: RouteDef): FastifySchema {
  const security = route.access.kind === 'user' || route.access.kind === 'admin' ? [{ bearer: [] }] : route.access.kind === 'service' ? [{ serviceCredential: [] }] : undefined;
  const response: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(route.responses)) response[status] = schema;
  for (const status of route.errors) response[String(status)] = problemResponse(status);
  return {
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    ...(route.tags === undefined ? {} : { tags: [...route.tags] }),
    ...(security === undefined ? {} : { security }),
    ...(route.hidden ? { hide: true } : {}),
    ...(route.params === undefined ? {} : { params: route.params }),
    ...(route.query === undefined ? {} : { querystring: route.query }),
    ...(route.headers === undefined ? {} : { headers: route.headers }),
    ...(route.body === undefined ? {} : { body: route.body }),
    response,
  } as FastifySchema;
}

/**
 * Register the handler of a declared route on a service's app. Access is
 * enforced by the app's onRequest hook (before the body is read or
 * validated: 401/403 always come before 400).
 */
export function serve<R extends RouteDef>(app: ServiceApp, route: R, handler: RouteHandler<R>): void {
  app.route({
    method: route.method,
    url: route.path,
    config: { access: route.access },
    // The route's own body limit (a login or a cart line needs a few KB), when it declares one.
    ...(route.edge?.bodyLimit === undefined ? {} : { bodyLimit: route.edge.bodyLimit }),
    schema: routeSchema(route),
    handler: (request, reply) => handler(request as unknown as RouteRequest<R>, reply),
  });
}

/** What the access hook needs; a service that declares user/admin or service routes must provide it. */
export interface AccessDeps {
  auth?: Authenticator | undefined;
  /** This service's credentials: its callers' digests are what `service` routes verify. */
  credentials?: ServiceCredentials | undefined;
}

/**
 * The check, run by the app's one onRequest hook, that enforces a route's
 * declared access: throws, returns a promise (user and admin routes verify a
 * token), or returns nothing when the caller may go on (public and service
 * routes decide at once: no promise per request). A route whose access cannot
 * be checked (no authenticator or credential configured) is refused with 500
 * at its first call and named at start-up by onRoute.
 */
export function accessHook(deps: AccessDeps) {
  const admin = deps.auth?.requireRole('admin');
  return (request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined => {
    const access = request.routeOptions.config.access;
    if (access === undefined) return undefined;
    switch (access.kind) {
      case 'public':
        return undefined;
      case 'user':
        if (!deps.auth) throw commonErrors.INTERNAL('This route needs an authenticator, and the service has none.');
        return deps.auth.requireUser(request, reply);
      case 'admin':
        if (!admin) throw commonErrors.INTERNAL('This route needs an authenticator, and the service has none.');
        return admin(request, reply);
      case 'service': {
        if (!deps.credentials) throw commonErrors.INTERNAL('This route needs service credentials, and the service has none.');
        // 401: no valid credential; 403: a service this route does not name (its descriptor's callers).
        const caller = verifyCaller(deps.credentials, request);
        if (!access.callers.includes(caller)) throw commonErrors.FORBIDDEN(`The service "${caller}" may not call ${request.method} ${request.routeOptions.url ?? ''}.`);
        return undefined;
      }
      default: {
        const unknown: never = access;
        throw new Error(`unknown access ${JSON.stringify(unknown)}`);
      }
    }
  };
}

/** Throws at registration time when a route's access cannot be enforced by this app. */
export function checkAccessConfigured(route: { url: string; method: string | string[]; config?: { access?: Access } }, deps: AccessDeps): void {
  const access = route.config?.access;
  if (access === undefined) return;
  if ((access.kind === 'user' || access.kind === 'admin') && deps.auth === undefined) {
    throw new Error(`${String(route.method)} ${route.url} is declared "${access.kind}" but the app was built without an authenticator (createServiceApp({ auth }))`);
  }
  if (access.kind === 'service' && deps.credentials === undefined) {
    throw new Error(`${String(route.method)} ${route.url} is declared "service" but the app was built without service credentials (createServiceApp({ credentials }))`);
  }
}
