import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { registerAjvFormats, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import type { Logger } from 'pino';
import { isStoreUnavailable } from '@bazaar/store/unavailable';
import { AppError, commonErrors, type ProblemDetails } from './errors.ts';
import { configDefault, configSchema } from './config.ts';
import { enterContext, requestIdFrom, type RequestContext } from './context.ts';
import { logRequest } from './logger.ts';
import { endServerSpan, startServerSpan } from './telemetry-http.ts';
import { createHttpMetrics, type HttpMetrics } from './metrics.ts';
import type { Authenticator } from './auth.ts';
import { accessHook, checkAccessConfigured } from './routes.ts';
import { SERVICE_CREDENTIAL_HEADER, type ServiceCredentials } from './service-auth.ts';
import { MAX_JSON_DEPTH, jsonDepthExceeds, redactPath, singleAuthorization } from './hygiene.ts';

/** A service's fastify instance, typed for TypeBox route schemas. */
export type ServiceApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** A named readiness check: resolves when the dependency is usable, throws otherwise. */
export type ReadinessCheck = () => Promise<void> | void;

export interface ServiceAppOptions {
  name: string;
  version?: string;
  description?: string;
  logger: Logger;
  bodyLimit?: number;
  /** Checks run by GET /readyz; the service's own store at least. */
  readiness?: Record<string, ReadinessCheck>;
  /** Collect process metrics (CPU, memory, event loop); off in tests that build many apps. */
  defaultMetrics?: boolean;
  /** Where the caller's remaining time budget comes in, in milliseconds. */
  deadlineHeader?: string;
  /** Verifies access tokens, for routes declared `user` or `admin`. */
  auth?: Authenticator | undefined;
  /** Its callers' credential digests, for routes declared `service` (under /internal). */
  credentials?: ServiceCredentials | undefined;
}

/** Header carrying the caller's remaining time budget in milliseconds. */
export const DEADLINE_HEADER = 'bazaar-deadline-ms';
/**
 * Header carrying how long the edge has held this request before this attempt,
 * in milliseconds (the gateway sends it; after a first instance did not answer
 * it is the time already spent). Relative, so no two clocks are compared.
 */
export const ELAPSED_HEADER = 'bazaar-elapsed-ms';

declare module 'fastify' {
  interface FastifyRequest {
    bazaar: RequestContext;
  }
}

/** How long GET /readyz waits for each check; probes in front of it must wait longer. */
export const READINESS_TIMEOUT_MS = 2000;
/** Retry-After of a 503 that does not set its own. */
const RETRY_AFTER_SECONDS = 2;

/**
 * Validate with TypeBox: apply schema defaults everywhere, convert text to
 * numbers/booleans only outside the body, and report every violation.
 */
const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  // Per request only what can change the value: defaults when the schema has any, and text conversion only for a
  // value that does not already pass (a product id in a path is a string, and stays one).
  const defaults = hasDefault(schema);
  return (value: unknown) => {
    let candidate = defaults ? Value.Default(schema, value) : value;
    if (check.Check(candidate)) return { value: candidate };
    if (httpPart === 'body') return { error: check.Errors(candidate) as unknown as Error };
    candidate = convertText(schema, candidate);
    if (check.Check(candidate)) return { value: candidate };
    return { error: check.Errors(candidate) as unknown as Error };
  };
};

/** Whether a schema declares a default anywhere in it. */
function hasDefault(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  if (Array.isArray(schema)) return schema.some(hasDefault);
  return Object.entries(schema).some(([key, value]) => key === 'default' || hasDefault(value));
}

/**
 * Convert query/params text to the schema's types, but never lossily:
 * TypeBox's Convert turns "10.5" into the integer 10 and "" into 0; such a
 * field keeps its text, so the check rejects it with a 400.
 */
function convertText(schema: TSchema, value: unknown): unknown {
  // Convert may change the object in place: keep the texts first.
  const texts = typeof value === 'object' && value !== null ? Object.entries(value as Record<string, unknown>) : [];
  const converted = Value.Convert(schema, value);
  if (typeof converted !== 'object' || converted === null) return converted;
  const out = { ...(converted as Record<string, unknown>) };
  for (const [key, text] of texts) {
    const number = out[key];
    if (typeof text === 'string' && typeof number === 'number' && (text.trim() === '' || Number(text) !== number)) out[key] = text;
  }
  return out;
}

// String formats (email, uuid, date-time…) for TypeBox, as ajv-formats defines them.
registerAjvFormats();

/**
 * Build the HTTP app every service starts from: request ids and trace
 * context, one access-log line per request, problem+json errors, health,
 * readiness, Prometheus metrics and an OpenAPI document. No listen() here.
 */
export function createServiceApp(opts: ServiceAppOptions): ServiceApp {
  const app = fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? configDefault(configSchema({}), 'BODY_LIMIT_BYTES'),
    // One access line per request comes from our onResponse hook instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    // No child logger per request (a pino child costs more than the rest of a /healthz): lines written inside a
    // request name its request id, trace and span through the logger's mixin, from the request's context (logger.ts).
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
    // Router-level errors (e.g. an over-long path parameter) are problem+json too.
    frameworkErrors: (error, request, reply) => {
      sendProblem(request, reply, toAppError(error));
    },
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();
  // TypeBox validates instead of fastify's default ajv setup, which strips
  // unknown fields and coerces body types ("100" passing as 100). Here unknown
  // fields are errors, every violation is reported, and only query strings,
  // params and headers (text by nature) are converted.
  app.setValidatorCompiler(validatorCompiler);

  // JSON as fastify parses it (a leading BOM stripped, prototype poisoning refused), after a
  // depth check: a megabyte of nested arrays costs many times the CPU of a flat one.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
      done(commonErrors.JSON_TOO_DEEP(`Nest the JSON body at most ${MAX_JSON_DEPTH} levels deep.`), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });

  const metrics = createHttpMetrics({ service: opts.name, defaultMetrics: opts.defaultMetrics ?? true });
  app.decorate('metrics', metrics);
  app.decorateRequest('bazaar', undefined as unknown as RequestContext);
  app.decorateRequest('principal', undefined);

  // One onRequest hook, callback style (an async hook costs a promise and a microtask per request): trace context
  // and request id, a single Authorization header, then the route's declared access.
  const access = { auth: opts.auth, credentials: opts.credentials };
  const checkAccess = accessHook(access);
  app.addHook('onRoute', (route) => checkAccessConfigured(route, access));
  app.addHook('onRequest', (request, reply, done) => {
    const budget = Number(headerValue(request.headers[DEADLINE_HEADER]));
    const elapsed = request.headers[ELAPSED_HEADER] === undefined ? 0 : Number(headerValue(request.headers[ELAPSED_HEADER]));
    const now = Date.now();
    const ctx: RequestContext = startServerSpan(request, {
      requestId: request.id,
      ...(Number.isFinite(budget) && budget > 0 ? { deadline: now + budget } : {}),
      ...(Number.isFinite(elapsed) && elapsed > 0 ? { receivedAt: now - elapsed } : {}),
    });
    request.bazaar = ctx;
    enterContext(ctx);
    reply.header('x-request-id', request.id);
    try {
      singleAuthorization(request);
      const checked = checkAccess(request, reply);
      if (checked === undefined) done();
      else checked.then(() => done(), done);
    } catch (error) {
      done(error as Error);
    }
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.observe({ method: request.method, route, status }, reply.elapsedTime / 1000);
    endServerSpan(request.bazaar, status);
    if (route !== '/healthz' && route !== '/readyz' && route !== '/metrics') {
      // The route pattern and the path with card-like digits masked; never the query (it may carry anything).
      // onResponse runs outside the request's async context: the line names its trace itself.
      logRequest(opts.logger, { requestId: request.id, traceId: request.bazaar.traceId, spanId: request.bazaar.spanId, method: request.method, route, path: redactPath(request.url), status, durationMs: Math.round(reply.elapsedTime * 10) / 10 });
    }
    done();
  });

  // While draining, answers close their connection so keep-alive clients do
  // not hold the server open (Node's server.close() only drops idle sockets).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    // Answers about a signed-in caller (their account, cart, orders) are personal: no cache keeps them unless the route says so.
    const kind = request.routeOptions.config.access?.kind;
    if ((kind === 'user' || kind === 'admin' || request.headers.authorization !== undefined) && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  app.setNotFoundHandler((request, reply) => {
    sendProblem(request, reply, commonErrors.ROUTE_NOT_FOUND(`No route for ${request.method} ${request.url.split('?')[0]}`));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    // A database away (restart, failover) is expected trouble: one line, no stack, and the client is told to retry.
    if (appError.code === 'STORE_UNAVAILABLE') request.log.warn({ error: (error as Error).message }, 'request failed: database unavailable');
    else if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    sendProblem(request, reply, appError);
  });

  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `Bazaar ${opts.name}`, version: opts.version ?? '0.1.0', description: opts.description ?? '' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          serviceCredential: { type: 'apiKey', in: 'header', name: SERVICE_CREDENTIAL_HEADER, description: 'The calling service\'s credential, `<service>:<secret>` (service-to-service calls only; each route names the services it accepts)' },
        },
      },
    },
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok', service: opts.name }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    let ready = true;
    for (const [name, check] of Object.entries(opts.readiness ?? {})) {
      try {
        await withTimeout(Promise.resolve(check()), READINESS_TIMEOUT_MS, `${name} check timed out`);
        checks[name] = 'ok';
      } catch (error) {
        ready = false;
        checks[name] = error instanceof Error ? error.message : String(error);
      }
    }
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', service: opts.name, checks });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: HttpMetrics;
  }
}

/** Send `error` as application/problem+json. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const problem: ProblemDetails = { ...error.toProblem(request.url.split('?')[0]), requestId: request.id };
  // A 503 is transient by definition: say when to come back (RFC 9110 §10.2.3), unless the route already did.
  if (error.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.code(error.status).type('application/problem+json').send(problem);
}

/** Map anything thrown in a handler or by fastify itself to a coded error. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = error as Partial<FastifyError> & { validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[]; validationContext?: string };
  if (Array.isArray(e.validation)) {
    const reported = e.validation.flatMap((v) => {
      const at = `${e.validationContext ?? 'body'}${v.instancePath ?? ''}`.replaceAll('/', '.');
      // A missing or unexpected property is named as its own field, so clients can point at it.
      const named = (v.params?.requiredProperties ?? v.params?.additionalProperties ?? (v.params?.missingProperty === undefined ? undefined : [v.params.missingProperty])) as unknown;
      if (Array.isArray(named) && named.length > 0) {
        const what = v.params?.additionalProperties ? 'is not an allowed property (must NOT have additional properties)' : 'is required';
        return named.map((name) => ({ field: `${at}.${String(name)}`, message: what }));
      }
      // additionalProperties: false also reports the extra field itself as "schema is false".
      if (v.message === 'schema is false') return [{ field: at, message: 'is not an allowed property (must NOT have additional properties)' }];
      return [{ field: at, message: v.message ?? 'is invalid' }];
    });
    // One message per field: TypeBox can report the same violation twice (e.g. additionalProperties).
    const seen = new Set<string>();
    const errors = reported.filter((x) => !seen.has(x.field) && seen.add(x.field));
    const detail = errors.map((x) => `${x.field} ${x.message}`).join('; ');
    return commonErrors.VALIDATION_FAILED(detail, { errors });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return commonErrors.MALFORMED_JSON('The body could not be parsed as JSON; send a JSON document with Content-Type: application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return commonErrors.MALFORMED_JSON('The body is empty but Content-Type is application/json.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return commonErrors.BODY_TOO_LARGE('The request body exceeds the size limit of this endpoint.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return commonErrors.UNSUPPORTED_MEDIA_TYPE(`${e.message ?? 'Unsupported media type'}; send application/json.`);
    default:
      break;
  }
  if (isStoreUnavailable(error)) return commonErrors.STORE_UNAVAILABLE('The database of this service is unavailable (restarting or unreachable); retry in a moment.');
  if (error instanceof SyntaxError && e.statusCode === 400) return commonErrors.MALFORMED_JSON(error.message);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError({ code: e.code ?? 'BAD_REQUEST', status: e.statusCode, title: 'Bad request', detail: e.message ?? 'Bad request' });
  }
  return commonErrors.INTERNAL('An unexpected error occurred; it has been logged with this request id.');
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
