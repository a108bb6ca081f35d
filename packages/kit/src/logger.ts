import { pino, type DestinationStream, type Logger } from 'pino';
import { currentContext } from './context.ts';
import { stdoutLines } from './line-writer.ts';

/** Paths never written to logs: credentials and card data. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-bazaar-service-credential"]',
  '*.password',
  '*.accessToken',
  '*.refreshToken',
  '*.card',
  '*.cardNumber',
];

/** A pino JSON logger bound to a service name, writing to the process's batched stdout (`stdoutLines()`) unless given a destination. */
export function createLogger(opts: { service: string; level?: string; destination?: DestinationStream }): Logger {
  const destination = opts.destination ?? stdoutLines();
  const logger = pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service, pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Every line written inside a request, event or saga step names its request id, trace and span (OpenTelemetry's
      // log field names for the last two).
      mixin: traceFields,
    },
    destination,
  );
  lineTargets.set(logger, { destination, prefix: `,"service":${JSON.stringify(opts.service)},"pid":${process.pid}` });
  return logger;
}

/** Where each logger made by createLogger writes, and the fields it starts every line with. */
const lineTargets = new WeakMap<Logger, { destination: DestinationStream; prefix: string }>();

/** The facts of one request, as its access line gives them. */
export interface RequestRecord {
  requestId: string;
  traceId: string;
  /** The service's span for the request (OpenTelemetry's log field span_id). */
  spanId: string;
  method: string;
  /** The route's pattern ("/api/catalog/products/:id"). */
  route: string;
  /** The path with card-like digits masked, never the query. */
  path: string;
  status: number;
  durationMs: number;
}

const json = JSON.stringify;

/**
 * Write a request's access line at level info: the same JSON line pino would write (level, time, service, pid, msg),
 * built by hand, as the gateway's access log is. pino's generic path (redaction over every path, the mixin, a
 * serialiser per field, the time function) was a tenth of a product read's CPU; these fields are fixed and hold no
 * secret (no headers, bodies or query strings; the path is masked first). Strings that come from outside are
 * escaped with JSON.stringify. A logger not made by createLogger gets the line through pino.
 */
export function logRequest(logger: Logger, r: RequestRecord): void {
  if (!logger.isLevelEnabled('info')) return;
  const target = lineTargets.get(logger);
  if (!target) {
    logger.info({ requestId: r.requestId, traceId: r.traceId, method: r.method, route: r.route, path: r.path, status: r.status, durationMs: r.durationMs }, 'request');
    return;
  }
  target.destination.write(
    `{"level":"info","time":"${new Date().toISOString()}"${target.prefix},"requestId":${json(r.requestId)},"traceId":"${r.traceId}","trace_id":"${r.traceId}","span_id":"${r.spanId}","method":"${r.method}","route":${json(r.route)},"path":${json(r.path)},"status":${r.status},"durationMs":${r.durationMs},"msg":"request"}\n`,
  );
}

/**
 * The mixin's fields. pino merges each line's own fields into the object returned here (Object.assign(mixin, fields)),
 * so it must be a new object every time: a shared empty one collected every earlier line's fields.
 */
function traceFields(): object {
  const ctx = currentContext();
  return ctx ? { requestId: ctx.requestId, trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

export type { Logger };
