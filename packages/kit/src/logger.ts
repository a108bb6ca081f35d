import { pino, type Logger } from 'pino';
import { currentContext } from './context.ts';

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

/** A pino JSON logger bound to a service name. */
export function createLogger(opts: { service: string; level?: string; destination?: NodeJS.WritableStream }): Logger {
  return pino(
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
    opts.destination ?? process.stdout,
  );
}

const NO_FIELDS = {};

function traceFields(): object {
  const ctx = currentContext();
  return ctx ? { requestId: ctx.requestId, trace_id: ctx.traceId, span_id: ctx.spanId } : NO_FIELDS;
}

export type { Logger };
