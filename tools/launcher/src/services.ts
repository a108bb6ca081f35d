import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** A service the launcher can run, read from services/<name>/package.json. */
export interface ServiceSpec {
  name: string;
  dir: string;
  /** What the launcher runs: the bundled entry when there is one (bundle.ts), else `source`. */
  entry: string;
  /** src/main.ts. */
  source: string;
  /** Whether it may run bundled (package.json "bundle": false says no: it reads files next to its sources). */
  bundle: boolean;
  port: number;
  /** The /api/<area> prefixes it owns, if it serves public routes. */
  areas: string[];
  gateway: boolean;
  /** Infrastructure stand-in (e.g. the mail sink): started first, not a business service. */
  infra: boolean;
  /** For the mail sink: its SMTP port. */
  smtpPort: number | undefined;
  /** Set when the service must run as one instance ("scalable": false): why, for --scale to say. */
  singleInstance?: string;
  /** Background work that must not starve the shop ("background": true: read models, email): run at a lower CPU priority. */
  background?: boolean;
}

interface BazaarField {
  port?: unknown;
  area?: unknown;
  areas?: unknown;
  gateway?: unknown;
  infra?: unknown;
  smtpPort?: unknown;
  scalable?: unknown;
  scalableReason?: unknown;
  background?: unknown;
  bundle?: unknown;
}

/**
 * Every directory under the given folders (services/, tools/) with a
 * package.json "bazaar" field and src/main.ts, in the order of the process
 * table: infrastructure first, then services by port, the gateway last.
 */
export function discoverServices(servicesDir: string, toolsDir?: string): ServiceSpec[] {
  const specs: ServiceSpec[] = [];
  // In services/ every folder must declare itself; in tools/ only runnable ones do (the launcher itself does not).
  const places = [{ parent: servicesDir, required: true }, ...(toolsDir ? [{ parent: toolsDir, required: false }] : [])];
  for (const { parent, required } of places) for (const entry of readdirSync(parent, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(parent, entry.name);
    const pkgPath = join(dir, 'package.json');
    const main = join(dir, 'src', 'main.ts');
    if (!existsSync(pkgPath) || !existsSync(main)) continue;
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bazaar?: BazaarField };
    const field = pkg.bazaar;
    if (!field && !required) continue;
    if (!field || typeof field.port !== 'number') {
      throw new Error(`${pkgPath}: missing "bazaar": { "port": <number> } (the launcher needs a default port)`);
    }
    specs.push({
      name: entry.name,
      dir,
      entry: main,
      source: main,
      bundle: field.bundle !== false,
      port: field.port,
      areas: Array.isArray(field.areas) ? field.areas.filter((a): a is string => typeof a === 'string') : typeof field.area === 'string' ? [field.area] : [],
      gateway: field.gateway === true,
      infra: field.infra === true,
      smtpPort: typeof field.smtpPort === 'number' ? field.smtpPort : undefined,
      background: field.background === true,
      ...(field.scalable === false
        ? { singleInstance: typeof field.scalableReason === 'string' ? field.scalableReason : `its package.json says "scalable": false` }
        : {}),
    });
  }
  // Infrastructure first, then services (by port, so the order is stable), the gateway last: the process table's order.
  // (They all start at once: main.ts.)
  const rank = (s: ServiceSpec) => (s.infra ? 0 : s.gateway ? 2 : 1);
  return specs.sort((a, b) => rank(a) - rank(b) || a.port - b.port);
}

/** The env variable that overrides a service's port, e.g. GATEWAY_PORT, PSP_SIM_PORT. */
export function portVariable(name: string): string {
  return `${name.toUpperCase().replaceAll('-', '_')}_PORT`;
}

/** The env variable other services read a service's URL from, e.g. IDENTITY_URL. */
export function urlVariable(name: string): string {
  return `${name.toUpperCase().replaceAll('-', '_')}_URL`;
}

/**
 * Decide each service's port: `<NAME>_PORT` from the environment wins, then
 * `portBase` + position (for tests running beside a live system), then the default.
 */
export function assignPorts(specs: ServiceSpec[], env: Record<string, string | undefined>, portBase?: number): Map<string, number> {
  const ports = new Map<string, number>();
  specs.forEach((spec, index) => {
    const fromEnv = env[portVariable(spec.name)];
    let port = portBase === undefined ? spec.port : portBase + index;
    if (fromEnv !== undefined && fromEnv !== '') {
      port = Number(fromEnv);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`${portVariable(spec.name)} must be a port number (1-65535), got "${fromEnv}"`);
      }
    }
    ports.set(spec.name, port);
  });
  const seen = new Map<number, string>();
  for (const [name, port] of ports) {
    const other = seen.get(port);
    if (other) throw new Error(`${name} and ${other} would both listen on port ${port}; set ${portVariable(name)}`);
    seen.set(port, name);
  }
  return ports;
}

/**
 * Parse `--scale` values and BAZAAR_SCALE ("payments=3", "payments=3,catalog=2"):
 * instances per service, 1 to 9. Unknown names, infrastructure stand-ins and
 * services marked `"scalable": false` in their package.json are refused.
 */
export function parseScale(values: string[], specs: ServiceSpec[]): Map<string, number> {
  const scale = new Map<string, number>();
  for (const item of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const match = /^([a-z0-9-]+)=(\d+)$/.exec(item);
    if (!match) throw new Error(`--scale expects <service>=<instances>, e.g. payments=3; got "${item}"`);
    const [, name, count] = match as unknown as [string, string, string];
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new Error(`--scale: no service "${name}"; known: ${specs.filter((s) => !s.infra).map((s) => s.name).join(', ')}`);
    if (spec.infra) throw new Error(`--scale: ${name} is a development stand-in and runs once`);
    const n = Number(count);
    if (n < 1 || n > 9) throw new Error(`--scale: ${name}=${count}: instances must be 1 to 9`);
    if (n > 1 && spec.singleInstance) throw new Error(`--scale: ${name} runs as one instance only: ${spec.singleInstance}`);
    scale.set(name, n);
  }
  return scale;
}

/** The name of instance k (1-based) of a service: the first keeps the service's name, then payments-2, payments-3… */
export function instanceName(service: string, k: number): string {
  return k === 1 ? service : `${service}-${k}`;
}

/**
 * Ports of every instance of every service, the first from `ports`. Extra
 * instances listen 100 above the previous one (8086, 8186, 8286), or, with
 * --port-base, on consecutive ports from base + 40.
 */
export function instancePorts(specs: ServiceSpec[], ports: Map<string, number>, scale: Map<string, number>, portBase?: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let extra = 0;
  const taken = new Map<number, string>();
  for (const spec of specs) {
    const first = ports.get(spec.name) as number;
    const list = [first];
    for (let k = 2; k <= (scale.get(spec.name) ?? 1); k++) {
      list.push(portBase === undefined ? first + 100 * (k - 1) : portBase + 40 + extra++);
    }
    out.set(spec.name, list);
  }
  for (const [name, list] of out) list.forEach((port, i) => {
    const other = taken.get(port);
    if (other) throw new Error(`${instanceName(name, i + 1)} and ${other} would both listen on port ${port}`);
    taken.set(port, instanceName(name, i + 1));
  });
  return out;
}

/** Environment for one child: the launcher's own, plus ports, URLs of every service, and the gateway's routing table. */
export function childEnv(opts: {
  spec: ServiceSpec;
  specs: ServiceSpec[];
  ports: Map<string, number>;
  host: string;
  dataDir: string;
  base: Record<string, string | undefined>;
  /** The mail sink's SMTP port, when there is a sink. */
  smtpPort?: number;
  /** Ports of every instance per service (from instancePorts); default: one instance each, on `ports`. */
  instances?: Map<string, number[]>;
  /** Which instance this child is (1-based). Default 1. */
  ordinal?: number;
}): Record<string, string> {
  const env: Record<string, string> = {};
  const all = (name: string): number[] => opts.instances?.get(name) ?? [opts.ports.get(name) as number];
  const ordinal = opts.ordinal ?? 1;
  for (const [k, v] of Object.entries(opts.base)) if (v !== undefined) env[k] = v;
  // A scaled service's URL lists every instance, comma-separated; the kit's client spreads calls over them.
  for (const s of opts.specs) env[urlVariable(s.name)] = all(s.name).map((port) => `http://${opts.host}:${port}`).join(',');
  // BAZAAR_EDGE_OVERRIDES="payments:PSP_SIM_URL=http://127.0.0.1:9999,…": one service's view of another
  // redirected (the chaos suite puts a fault proxy on that edge); every other service keeps the real URL.
  for (const entry of (opts.base.BAZAAR_EDGE_OVERRIDES ?? '').split(',').filter(Boolean)) {
    const match = /^([a-z0-9-]+):([A-Z0-9_]+)=(.+)$/.exec(entry.trim());
    if (match && match[1] === opts.spec.name) env[match[2] as string] = match[3] as string;
  }
  env.PORT = String(all(opts.spec.name)[ordinal - 1]);
  env.HOST = opts.host;
  env.BAZAAR_DATA_DIR = opts.dataDir;
  env.BAZAAR_SERVICE = opts.spec.name;
  env.BAZAAR_EXIT_WITH_LAUNCHER = 'true';
  env.BAZAAR_INSTANCE = instanceName(opts.spec.name, ordinal);
  // Spans name their service and instance (OpenTelemetry resource attributes); one name for all would blur the topology.
  env.OTEL_SERVICE_NAME = opts.spec.name;
  env.OTEL_RESOURCE_ATTRIBUTES = [opts.base.OTEL_RESOURCE_ATTRIBUTES, `service.instance.id=${env.BAZAAR_INSTANCE}`].filter(Boolean).join(',');
  const sink = opts.specs.find((s) => s.smtpPort !== undefined);
  if (sink && opts.smtpPort !== undefined) {
    // Mail goes to the built-in sink unless the user named a real SMTP server.
    if (!opts.base.SMTP_URL) env.SMTP_URL = `smtp://${opts.host}:${opts.smtpPort}`;
    if (opts.spec.name === sink.name) env.SMTP_PORT = String(opts.smtpPort);
  }
  if (opts.spec.gateway) {
    // One area=url pair per instance: an area listed twice has two instances.
    env.BAZAAR_UPSTREAMS = opts.specs
      .flatMap((s) => s.areas.flatMap((area) => all(s.name).map((port) => `${area}=http://${opts.host}:${port}`)))
      .join(',');
  }
  return env;
}
