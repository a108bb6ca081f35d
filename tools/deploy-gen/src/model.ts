import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OPERATOR, serviceRoutes, type RouteDef } from '@bazaar/contracts';
import { discoverServices, urlVariable } from '../../launcher/src/services.ts';

/** Every container listens here; each service runs in its own network namespace, so one port fits all. */
export const CONTAINER_PORT = 8080;
/** Where a service keeps its files (SQLite, DuckDB, snapshots): a volume, never the image. */
export const DATA_DIR = '/data';
/** The image's unprivileged user (the `node` user of the official image), numeric so runAsNonRoot can verify it. */
export const APP_UID = 1000;

/**
 * Settings that hold credentials, or URLs that may carry them: they come from
 * the Secret (Kubernetes) or the shell (compose), never a ConfigMap.
 */
export const SECRET_KEYS = ['BAZAAR_POSTGRES_URL', 'ADMIN_PASSWORD', 'COOKIE_SECRET', 'SMTP_URL', 'REDIS_URL', 'NATS_URL'] as const;

/** The gateway's admin listener (metrics, readiness): a port of its own, never the public Service's. */
export const ADMIN_PORT = 9080;

/** Where the operator's PostgreSQL, Redis and NATS run (the NetworkPolicies let pods reach that namespace only). */
export const INFRA_NAMESPACE = 'bazaar-infra';

/**
 * The PostgreSQL connection budget (docs/infrastructure.md): the server's
 * max_connections (PostgreSQL's default), less superuser_reserved_connections
 * and room for migrations, backups and a psql session. Every pod of every
 * service opens at most BAZAAR_POSTGRES_POOL_SIZE connections.
 */
export const POSTGRES_BUDGET = { maxConnections: 100, reserved: 3 + 7, poolSize: 3 } as const;

/**
 * Idle resident memory of each service, measured here (launcher, embedded
 * stores, Node 24, after start-up and a first request; see deploy/README.md
 * "Resources"), in MiB. Memory requests are sized from it.
 */
export const MEASURED_IDLE_RSS_MIB: Record<string, number> = {
  // 2026-12-05, `npm start --port-base`, VmRSS after start-up and a first request through the gateway.
  identity: 135,
  catalog: 155,
  inventory: 168,
  cart: 150,
  orders: 146,
  payments: 145,
  'psp-sim': 121,
  notifications: 138,
  search: 156,
  reports: 170,
  gateway: 152,
  storefront: 163,
};

/** What the deploy files need to know about one service. */
export interface DeployService {
  name: string;
  description: string;
  /** package.json version: the image tag the manifests deploy. */
  version: string;
  /** The launcher's default port (documentation only: containers all use CONTAINER_PORT). */
  launcherPort: number;
  areas: string[];
  gateway: boolean;
  /** Every variable the service's config schema reads. Empty when it has no src/config.ts yet. */
  configKeys: string[];
  /** The variables it cannot start without: required by the schema and without a default. */
  requiredKeys: string[];
  /** Services whose <NAME>_URL setting its config reads (CATALOG_URL, PSP_SIM_URL…). */
  urlSettings: string[];
  /** Services it calls over HTTP: its urlSettings, and for the gateway every service with an area too. */
  upstreams: string[];
  /** Services that call it (the reverse of upstreams): its NetworkPolicy's ingress. */
  callers: string[];
  /** It holds a service credential of its own (its config reads BAZAAR_SERVICE_CREDENTIAL). */
  credential: boolean;
  /**
   * Whose credentials it verifies (BAZAAR_SERVICE_CALLERS): its NetworkPolicy
   * callers that hold a credential, and the operator's tools. Derived from
   * the same list as the NetworkPolicy, so the two cannot disagree.
   */
  credentialCallers: string[];
  needs: { postgres: boolean; nats: boolean; redis: boolean; smtp: boolean };
  /** Secret settings it reads, from SECRET_KEYS. */
  secrets: string[];
  /** Runs as exactly one instance (DuckDB: one process owns the file). */
  singleton: boolean;
}

interface PackageJson {
  description?: string;
  version?: string;
  dependencies?: Record<string, string>;
}

/** A TypeBox object schema, as exported by a service's src/config.ts. */
function isConfigSchema(value: unknown): value is { properties: Record<string, { default?: unknown }>; required?: string[] } {
  const props = (value as { properties?: unknown } | null)?.properties;
  return typeof props === 'object' && props !== null && 'PORT' in props;
}

/** The variables a service reads (the keys of the config schema its src/config.ts exports), and those it requires. */
export async function readConfigKeys(serviceDir: string): Promise<{ keys: string[]; required: string[] } | undefined> {
  const file = join(serviceDir, 'src', 'config.ts');
  if (!existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const keys = new Set<string>();
  const required = new Set<string>();
  for (const value of Object.values(mod)) {
    if (!isConfigSchema(value)) continue;
    for (const [key, prop] of Object.entries(value.properties)) {
      keys.add(key);
      if (value.required?.includes(key) && prop.default === undefined) required.add(key);
    }
  }
  if (keys.size === 0) throw new Error(`${file} exports no config schema with a PORT key (configSchema({...}))`);
  return { keys: [...keys].sort(), required: [...required].sort() };
}

/**
 * Read every service under services/ (the launcher's discovery: package.json
 * "bazaar" field) and its config schema, and work out who calls whom and what
 * infrastructure each one needs. The result is the one input of every
 * generated deploy file.
 */
export async function loadServices(root: string): Promise<{ services: DeployService[]; warnings: string[] }> {
  const specs = discoverServices(join(root, 'services'));
  const warnings: string[] = [];
  const byUrlVar = new Map(specs.map((s) => [urlVariable(s.name), s.name]));
  const services: DeployService[] = [];
  for (const spec of specs) {
    const pkg = JSON.parse(readFileSync(join(spec.dir, 'package.json'), 'utf8')) as PackageJson;
    const deps = Object.keys(pkg.dependencies ?? {});
    const config = await readConfigKeys(spec.dir);
    if (!config) warnings.push(`services/${spec.name} has no src/config.ts yet: no upstreams or secrets wired for it`);
    const configKeys = config?.keys ?? [];
    const has = (key: string) => configKeys.includes(key);
    const urlSettings = configKeys.flatMap((k) => byUrlVar.get(k) ?? []).filter((n) => n !== spec.name);
    const routed = spec.gateway ? specs.filter((s) => s.areas.length > 0 && s.name !== spec.name).map((s) => s.name) : [];
    services.push({
      name: spec.name,
      description: pkg.description ?? spec.name,
      version: pkg.version ?? '0.0.0',
      launcherPort: spec.port,
      areas: spec.areas,
      gateway: spec.gateway,
      configKeys,
      requiredKeys: config?.required ?? [],
      urlSettings: urlSettings.sort(),
      upstreams: [...new Set([...urlSettings, ...routed])].sort(),
      callers: [],
      credential: has('BAZAAR_SERVICE_CREDENTIAL'),
      credentialCallers: [],
      needs: {
        // Every config reads BAZAAR_POSTGRES_URL (the kit's base); only a service with a relational
        // store (@bazaar/store at run time) uses it, creating its database bazaar_<service> itself.
        postgres: deps.includes('@bazaar/store'),
        nats: has('NATS_URL') || deps.includes('@bazaar/messaging'),
        redis: has('REDIS_URL'),
        smtp: has('SMTP_URL'),
      },
      secrets: [],
      singleton: deps.includes('@duckdb/node-api'),
    });
  }
  for (const s of services) {
    s.callers = services.filter((c) => c.upstreams.includes(s.name)).map((c) => c.name).sort();
    s.credentialCallers = s.credential ? [...s.callers.filter((c) => services.some((o) => o.name === c && o.credential)), OPERATOR] : [];
    s.secrets = SECRET_KEYS.filter((k) => (k === 'BAZAAR_POSTGRES_URL' ? s.needs.postgres : k === 'NATS_URL' ? s.needs.nats : s.configKeys.includes(k)));
  }
  return { services, warnings };
}

/** The gateway's routing table for a given way of naming a service's base URL. */
export function upstreamTable(services: DeployService[], url: (name: string) => string): string {
  return services.flatMap((s) => s.areas.map((area) => `${area}=${url(s.name)}`)).join(',');
}

/** The compose variables (deploy/.env) of one service's credential and its callers' digests. */
export function credentialVariables(service: string): { credential: string; callers: string } {
  const key = service.toUpperCase().replaceAll('-', '_');
  return { credential: `BAZAAR_CREDENTIAL_${key}`, callers: `BAZAAR_CALLERS_${key}` };
}

const PLACEHOLDER = 'replace-with-npm-run-credentials';

/**
 * The committed stand-ins of an overlay's service-credentials.env and
 * service-callers.env: every key, placeholder values (the production switch
 * refuses them). `npm run credentials -- --kubernetes <overlay>` writes the real ones.
 */
export function credentialExamples(services: DeployService[]): { credentials: string; callers: string } {
  const header = (what: string) => `# Generated by \`npm run deploy:gen\`: the keys of ${what}. Write the real file with\n# \`npm run credentials -- --kubernetes <this overlay>\` (never committed; deploy/README.md).\n`;
  const credentialed = services.filter((s) => s.credential);
  return {
    credentials: header('service-credentials.env (Secret bazaar-service-credentials)') + credentialed.map((s) => `${s.name}=${PLACEHOLDER}\n`).join(''),
    callers: header('service-callers.env (ConfigMap bazaar-service-callers)') + credentialed.map((s) => `${s.name}=${s.credentialCallers.map((c) => `${c}:${PLACEHOLDER}`).join(',')}\n`).join(''),
  };
}

/**
 * Every caller a route descriptor names must be one its service verifies
 * (credentialCallers, i.e. its NetworkPolicy callers): a route naming a
 * service that has no URL setting for it would be refused by the network
 * and by the credential check alike. Returns what disagrees.
 */
export function routeCallerMismatches(services: DeployService[], routes: readonly RouteDef[] = serviceRoutes): string[] {
  const out: string[] = [];
  for (const route of routes) {
    if (route.access.kind !== 'service') continue;
    const owner = services.find((s) => s.name === route.service);
    // The event feed is served by every producer ("any producer"); its readers are checked by their URL settings.
    if (!owner) continue;
    for (const caller of route.access.callers) {
      if (!owner.credentialCallers.includes(caller)) out.push(`${route.method} ${route.path} (${owner.name}) names ${caller}, which ${owner.name} does not verify: ${caller} has no ${urlVariable(owner.name)} setting`);
    }
  }
  return out;
}
