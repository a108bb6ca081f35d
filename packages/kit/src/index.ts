export { BaseConfig, ConfigError, configDefault, configSchema, loadConfig, type BaseConfigValues } from './config.ts';
export { AppError, commonErrors, defineErrors, problemType, type ErrorFactory, type ErrorSpec, type ProblemDetails } from './errors.ts';
export { currentContext, currentTraceparent, formatTraceparent, newSpanId, newTraceId, parseTraceparent, withContext, type RequestContext } from './context.ts';
export { createLogger, REDACT_PATHS, type Logger } from './logger.ts';
export { LineWriter, stdoutLines } from './line-writer.ts';
export { createHttpMetrics, type HttpMetrics } from './metrics.ts';
export { DEADLINE_HEADER, ELAPSED_HEADER, READINESS_TIMEOUT_MS, createServiceApp, sendProblem, toAppError, type ReadinessCheck, type ServiceApp, type ServiceAppOptions } from './app.ts';
export { main, startService, type Listener, type StartServiceOptions } from './run.ts';
export { systemClock, type Clock } from './clock.ts';
export { backoffDelay, createSerial, positionCursor, seededRandom, startPeriodic, type BackoffPolicy, type PagePosition, type PeriodicLoop, type Serial } from './primitives.ts';
export { InstanceRing, instanceUrls } from './instances.ts';
export { Lru } from './lru.ts';
export { HttpPool, type HttpPoolOptions, type PoolRequest, type PoolResponse } from './http-pool.ts';
export { KeysUnavailableError, identityKeySource, type KeySource, type KeySourceOptions } from './jwks.ts';
export { createServiceClient, UpstreamError, type RouteCallOptions, type CallOptions, type ClientResponse, type HttpMethod, type ServiceClient, type ServiceClientOptions } from './client.ts';
export {
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  createAuthenticator,
  type AuthenticatorOptions,
  principalOf,
  remoteKeys,
  type Authenticator,
  type Principal,
} from './auth.ts';
export { Type, type Static, type TSchema } from 'typebox';
export { checkerOf, firstViolation } from './check.ts';
export {
  OPERATOR,
  SERVICE_CREDENTIAL_HEADER,
  ServiceCredentialConfig,
  audienceSecret,
  callerDigest,
  credentialDigest,
  formatCallers,
  parseCallers,
  requireService,
  serviceCredentials,
  verifyCaller,
  type ServiceCredentials,
} from './service-auth.ts';
export { accessHook, routeSchema, serve, type RouteHandler, type RouteRequest } from './routes.ts';
export {
  SpanKind,
  SpanStatusCode,
  TelemetryConfig,
  contextOf,
  failSpan,
  flushTelemetry,
  inSpan,
  recordSpan,
  remoteParent,
  startSpan,
  startTelemetry,
  type Attributes,
  type Span,
  type SpanOptions,
  type StartTelemetryOptions,
  type TelemetrySettings,
} from './telemetry.ts';
export { MAX_JSON_DEPTH, jsonDepthExceeds, redactPath } from './hygiene.ts';
export { KNOWN_VALUES, MIN_SERVICE_CREDENTIAL_LENGTH, productionProblems, type ProductionProblem } from './production.ts';
