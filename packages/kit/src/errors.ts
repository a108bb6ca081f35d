/**
 * Errors as RFC 9457 problem details. Each service declares one catalog of
 * coded errors; domain code throws them; the HTTP edge renders them.
 */

/** The JSON body of an `application/problem+json` response (RFC 9457). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  [extension: string]: unknown;
}

export interface ErrorSpec {
  status: number;
  title: string;
}

/** Stable, dereferenceable-looking identifier for a problem type. */
export function problemType(code: string): string {
  return `urn:bazaar:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

/** An error with a stable code and HTTP status, rendered as problem+json at the edge. */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  constructor(opts: { code: string; status: number; title: string; detail?: string; extensions?: Record<string, unknown> }) {
    super(opts.detail ?? opts.title);
    this.name = 'AppError';
    this.code = opts.code;
    this.status = opts.status;
    this.title = opts.title;
    this.extensions = opts.extensions ?? {};
  }

  /** The problem document for this error. */
  toProblem(instance?: string): ProblemDetails {
    return {
      ...this.extensions,
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      detail: this.message,
      code: this.code,
      ...(instance === undefined ? {} : { instance }),
    };
  }
}

export type ErrorFactory = (detail?: string, extensions?: Record<string, unknown>) => AppError;

/**
 * Declare a service's error catalog. Returns one factory per code:
 * `throw errors.PRODUCT_NOT_FOUND(\`No product ${id}\`)`.
 */
export function defineErrors<const C extends Record<string, ErrorSpec>>(catalog: C): { [K in keyof C]: ErrorFactory } {
  const out = {} as { [K in keyof C]: ErrorFactory };
  for (const code of Object.keys(catalog) as (keyof C & string)[]) {
    const spec = catalog[code] as ErrorSpec;
    out[code] = (detail, extensions) =>
      new AppError({ code, status: spec.status, title: spec.title, ...(detail === undefined ? {} : { detail }), ...(extensions === undefined ? {} : { extensions }) });
  }
  return out;
}

/** Errors every service can produce at its HTTP edge. */
export const commonErrors = defineErrors({
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  VALIDATION_FAILED: { status: 400, title: 'The request does not match the schema' },
  DUPLICATE_HEADER: { status: 400, title: 'A header that must appear once appears several times' },
  JSON_TOO_DEEP: { status: 400, title: 'The JSON body is nested too deeply' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  UPSTREAM_UNAVAILABLE: { status: 503, title: 'A service this request needs is unavailable' },
  STORE_UNAVAILABLE: { status: 503, title: "This service's database is unavailable right now" },
  UPSTREAM_TIMEOUT: { status: 504, title: 'A service this request needs did not answer in time' },
  UPSTREAM_FAILED: { status: 502, title: 'A service this request needs failed' },
  INTERNAL: { status: 500, title: 'Internal error' },
});
