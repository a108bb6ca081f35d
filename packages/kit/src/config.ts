import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { Value } from 'typebox/value';
import { TelemetryConfig } from './telemetry.ts';
import { productionProblems } from './production.ts';

/** Thrown when the environment does not satisfy a service's config schema; names every bad variable. */
export class ConfigError extends Error {
  readonly variables: string[];
  constructor(problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.variables = problems.map((p) => p.variable);
  }
}

/** Settings every service shares; a service extends this with its own keys. */
export const BaseConfig = {
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface to listen on' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port to listen on' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  BAZAAR_EXIT_WITH_LAUNCHER: Type.Boolean({
    default: false,
    description: 'Set by the launcher: stop (as on SIGTERM) when standard input ends, that is when the launcher holding its other end is gone, even killed with kill -9',
  }),
  BAZAAR_DATA_DIR: Type.String({ default: '.bazaar/data', minLength: 1 }),
  // A service with a relational store uses database bazaar_<service> on this server (its own
  // <SERVICE>_DATABASE_URL wins); with neither set it keeps its SQLite file in BAZAAR_DATA_DIR.
  BAZAAR_POSTGRES_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL server for every service store, e.g. postgres://user:pass@host:5432' })),
  BAZAAR_POSTGRES_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'Most PostgreSQL connections one service instance opens (docs/infrastructure.md: the connection budget)' }),
  BAZAAR_ENV: Type.Union([Type.Literal('development'), Type.Literal('production')], {
    default: 'development',
    description: 'production: refuse default or weak secrets, an edge without TLS or trusted proxy, and embedded stores (docs/security.md)',
  }),
  BAZAAR_SINGLE_INSTANCE: Type.Boolean({
    default: false,
    description: 'In production, allow the embedded SQLite store because this service runs as exactly one instance',
  }),
  // OpenTelemetry's standard variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_SAMPLER…): docs/observability.md.
  ...TelemetryConfig,
};

/**
 * The default a config schema declares for `key`, so that code needing it
 * (a factory's fallback, a test) never writes the value a second time.
 * Throws when the key has no default.
 */
export function configDefault<T extends TObject, K extends keyof Static<T> & string>(schema: T, key: K): Static<T>[K] {
  const value = (schema.properties[key] as { default?: unknown } | undefined)?.default;
  if (value === undefined) throw new Error(`config key ${key} has no default`);
  return value as Static<T>[K];
}

/** Build a config schema from the base keys plus a service's own. */
export function configSchema<P extends TProperties>(own: P) {
  return Type.Object({ ...BaseConfig, ...own });
}

export type BaseConfigValues = Static<ReturnType<typeof configSchema<Record<never, never>>>>;

/**
 * Parse the environment once, at start-up, against a schema: apply defaults,
 * coerce strings to numbers/booleans, and fail fast naming each bad variable.
 */
export function loadConfig<T extends TObject>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    // An empty variable means "unset" (e.g. `PORT= npm start`), so defaults apply.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  if (Value.Check(schema, converted)) {
    const values = converted as Record<string, unknown>;
    if (values.BAZAAR_ENV === 'production') {
      const problems = productionProblems(values);
      if (problems.length > 0) throw new ConfigError(problems.map((p) => ({ variable: p.variable, message: `${p.message} (BAZAAR_ENV=production)` })));
    }
    return converted as Static<T>;
  }
  const problems = new Map<string, string>();
  for (const error of Value.Errors(schema, converted)) {
    const fromPath = error.instancePath.replace(/^\//, '').split('/')[0];
    const fromParams = (error.params as { requiredProperties?: string[] }).requiredProperties?.[0];
    const variable = fromPath || fromParams || '(unknown)';
    if (problems.has(variable)) continue;
    const given = shown(variable, env[variable]);
    const allowed = allowedValues(schema.properties[variable]);
    if (allowed) error.message = `must be one of ${allowed.join(', ')}`;
    problems.set(
      variable,
      given === undefined || given === '' ? 'is required' : `${error.message}, got "${given}"`,
    );
  }
  throw new ConfigError([...problems].map(([variable, message]) => ({ variable, message })));
}

function allowedValues(schema: unknown): string[] | undefined {
  const anyOf = (schema as { anyOf?: { const?: unknown }[] } | undefined)?.anyOf;
  if (!anyOf?.every((s) => s.const !== undefined)) return undefined;
  return anyOf.map((s) => String(s.const));
}

/** A value as it may appear in an error message: secrets withheld, URL credentials masked. */
function shown(variable: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return value;
  if (/(TOKEN|PASSWORD|SECRET|KEY|CREDENTIAL)$/.test(variable)) return '[hidden]';
  return value.replace(/\/\/[^/@\s]*@/, '//***@');
}
