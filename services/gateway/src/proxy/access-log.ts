/** Where access-log lines go: a buffered stream (SonicBoom) in production, an array in tests. */
export interface LineSink {
  write(line: string): unknown;
}

/** The facts of one request, as logged. */
export interface AccessRecord {
  method: string;
  path: string;
  route: string;
  status: number;
  durationMs: number;
  upstream: string | undefined;
  attempts: number;
  userId: string | undefined;
  clientIp: string;
  requestId: string;
  traceId: string;
  /** The gateway's span for this request (OpenTelemetry's log field span_id). */
  spanId: string;
  code: string | undefined;
  failure: string | undefined;
}

const json = JSON.stringify;

/**
 * The access log: one JSON line per request, in the shape of the kit's pino
 * logs (level, time, service, pid, msg) so the same tools read both. It is
 * written by hand rather than through pino: the fields are fixed and known
 * to hold no secret (no headers, bodies or query strings; paths are masked
 * first), and pino's generic serialisation and redaction measured at about
 * a tenth of the gateway's CPU per request. Strings that come from outside
 * are escaped with JSON.stringify.
 */
export class AccessLog {
  private readonly sink: LineSink;
  private readonly prefix: string;

  constructor(sink: LineSink, opts: { service?: string; pid?: number } = {}) {
    this.sink = sink;
    this.prefix = `,"service":${json(opts.service ?? 'gateway')},"pid":${opts.pid ?? process.pid},"msg":"request"`;
  }

  write(r: AccessRecord): void {
    let line = `{"level":"info","time":"${new Date().toISOString()}"${this.prefix},"method":"${r.method}","path":${json(r.path)},"route":${json(r.route)},"status":${r.status},"durationMs":${r.durationMs},"attempts":${r.attempts},"clientIp":${json(r.clientIp)},"requestId":${json(r.requestId)},"traceId":"${r.traceId}","trace_id":"${r.traceId}","span_id":"${r.spanId}"`;
    if (r.upstream !== undefined) line += `,"upstream":${json(r.upstream)}`;
    if (r.userId !== undefined) line += `,"userId":${json(r.userId)}`;
    if (r.code !== undefined) line += `,"code":"${r.code}"`;
    if (r.failure !== undefined) line += `,"failure":"${r.failure}"`;
    this.sink.write(`${line}}\n`);
  }
}
