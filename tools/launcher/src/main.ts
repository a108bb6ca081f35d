/**
 * `npm start`: every service in services/ as its own OS process, supervised.
 * Waits for each /readyz, prints the process table and the URLs a person
 * needs, restarts crashed services with backoff, stops everything on Ctrl-C.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assignPorts, childEnv, discoverServices, instanceName, instancePorts, parseScale, portVariable, type ServiceSpec } from './services.ts';
import { SupervisedProcess } from './supervisor.ts';
import { createControlServer } from './control.ts';
import { runCredentials, writeCredentialsFile } from './credentials.ts';
import { OPERATOR, audienceSecret } from '@bazaar/kit/service-credentials';
import { processTable } from './table.ts';
import { checkInfra, infraEnv, maskUrl, type InfraTarget } from './infra.ts';
import { openTelemetryStore } from './telemetry/store.ts';
import { createCollector } from './telemetry/collector.ts';
import { jetStreamDeadLetters } from './dead-letters.ts';
import { bundleCacheDir, bundleServices, describeBundles } from './bundle.ts';

const HELP = `Usage: npm start [-- options]

Runs every Bazaar service as its own process on embedded defaults.

Options:
  --logs              also print every service's JSON log lines here
  --port-base <n>     give services consecutive ports from <n> (default: each service's own)
  --scale <svc>=<n>   run n instances of a service (repeatable, or comma-separated:
                      --scale payments=3,catalog=2); callers spread calls over them
  --ready-timeout <s> seconds to wait for all services to be ready (default 60)
  --infra             run on local PostgreSQL, Redis and NATS JetStream (npm run start:infra):
                      sets BAZAAR_POSTGRES_URL, REDIS_URL, NATS_URL to 127.0.0.1 defaults
                      unless set, and checks each answers before starting anything
  -h, --help          this text

Environment:
  GATEWAY_PORT, IDENTITY_PORT, CATALOG_PORT, …   port of one service (gateway: 8080)
  MAIL_SINK_SMTP_PORT  SMTP port of the built-in mail sink (default 2525)
  SMTP_URL             send mail to this SMTP server instead of the sink
  LAUNCHER_PORT        operations page and control API (default 8070)
  BAZAAR_DATA_DIR      where each service keeps its SQLite file (default .bazaar/data; with --infra .bazaar/infra-data)
  BAZAAR_LOG_DIR       one log file per service (default .bazaar/logs)
  OTEL_EXPORTER_OTLP_ENDPOINT   send spans to this collector instead of the launcher's own store
  OTEL_EXPORTER_OTLP_PROTOCOL   http/protobuf (default) or http/json, for that collector
  OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG, OTEL_SDK_DISABLED   passed to every service (docs/observability.md)
  BAZAAR_TELEMETRY_RETENTION_HOURS   how long the launcher keeps spans, logs and snapshots (default 24)
  BAZAAR_HOST          interface everything binds to (default 127.0.0.1)
  BAZAAR_SCALE         same as --scale, e.g. payments=3
  BAZAAR_BACKGROUND_NICE   CPU niceness of the background services: search, reports, notifications (default 0: off; e.g. 10)
  BAZAAR_BUNDLE        0: run every service from its sources instead of its esbuild bundle (debugging)
  BAZAAR_POSTGRES_URL, REDIS_URL, NATS_URL   real infrastructure (docs/infrastructure.md)
  ADMIN_EMAIL, ADMIN_PASSWORD   the admin account identity creates on first start

Rolling restart of one service (every instance, one by one):
  npm run restart -- <service>      (POST /api/services/<service>/rolling-restart)
`;

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

function fail(message: string): never {
  process.stderr.write(`bazaar: ${message}\n`);
  process.exit(1);
}

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${message}\n`);
}

// Output nobody reads any more (the pipe or terminal it went to is gone: EPIPE) must not end the launcher: it would
// exit without stopping the services, and they would keep running, holding their ports. Every line is also in the
// log files; the launcher goes on, and stops everything on SIGINT/SIGTERM as usual.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

async function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, host, () => probe.close(() => done(true)));
  });
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        logs: { type: 'boolean', default: false },
        'port-base': { type: 'string' },
        scale: { type: 'string', multiple: true, default: [] },
        'ready-timeout': { type: 'string', default: '60' },
        infra: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP}`);
  }
})();
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

let env: Record<string, string | undefined> = process.env;
let infra: InfraTarget[] = [];
if (args.infra) {
  ({ env, targets: infra } = infraEnv(process.env));
  const problems = await checkInfra(infra);
  if (problems.length > 0) fail(`--infra: the infrastructure is not all there:\n  - ${problems.join('\n  - ')}\n(.ci/infra starts all three on Debian/Ubuntu.)`);
  for (const t of infra) log(`${t.what.padEnd(15)} ${maskUrl(t.url)}${t.fromEnv ? '' : ' (local default)'} ✓`);
}
const host = env.BAZAAR_HOST || '127.0.0.1';
// Search and reports keep files (and their feed positions) in the data dir: with --infra they get their own, since
// positions in the embedded SQLite outboxes mean nothing against the PostgreSQL ones.
const dataDir = resolve(env.BAZAAR_DATA_DIR || join(root, '.bazaar', args.infra ? 'infra-data' : 'data'));
// One compile cache for every system started from this checkout (Node keys it by
// source hash, so it is safe to share): a fresh data directory, as every
// end-to-end test starts with, still finds the services' modules compiled.
const compileCache = join(root, 'node_modules', '.cache', 'bazaar-compile');
const logDir = resolve(env.BAZAAR_LOG_DIR || join(root, '.bazaar', 'logs'));
const portBase = args['port-base'] === undefined ? undefined : Number(args['port-base']);
if (portBase !== undefined && (!Number.isInteger(portBase) || portBase < 1 || portBase > 65000)) fail(`--port-base must be a port number, got "${args['port-base']}"`);
const readyTimeoutMs = Number(args['ready-timeout']) * 1000;
if (!Number.isFinite(readyTimeoutMs) || readyTimeoutMs <= 0) fail(`--ready-timeout must be a number of seconds, got "${args['ready-timeout']}"`);
const launcherPort = Number(env.LAUNCHER_PORT || (portBase === undefined ? 8070 : portBase + 90));
if (!Number.isInteger(launcherPort) || launcherPort < 1 || launcherPort > 65535) fail(`LAUNCHER_PORT must be a port number, got "${env.LAUNCHER_PORT}"`);

let specs: ServiceSpec[];
let ports: Map<string, number>;
let instances: Map<string, number[]>;
try {
  specs = discoverServices(join(root, 'services'), join(root, 'tools'));
  ports = assignPorts(specs, env, portBase);
  const scale = parseScale([...(args.scale ?? []), ...(env.BAZAAR_SCALE ? [env.BAZAAR_SCALE] : [])], specs);
  instances = instancePorts(specs, ports, scale, portBase);
} catch (error) {
  fail((error as Error).message);
}
if (specs.length === 0) fail('no services found under services/');

for (const spec of specs) {
  for (const [i, port] of (instances.get(spec.name) as number[]).entries()) {
    const what = instanceName(spec.name, i + 1);
    const fix = i === 0 ? `set ${portVariable(spec.name)} to a free port` : 'use --port-base';
    if (!(await portIsFree(host, port))) fail(`port ${port} on ${host} is in use, so ${what} cannot start. Stop whatever uses it, or ${fix}.`);
  }
}
if (!(await portIsFree(host, launcherPort))) fail(`port ${launcherPort} on ${host} is in use (the operations page). Set LAUNCHER_PORT to a free port.`);

mkdirSync(dataDir, { recursive: true });
mkdirSync(logDir, { recursive: true });

// Each service bundled into a few files (tools/launcher/src/bundle.ts, ADR 0051): loading 1,900 modules per process
// was most of start-up. Built once per state of the sources; BAZAAR_BUNDLE=0 runs every service from its sources.
if (env.BAZAAR_BUNDLE !== '0') {
  try {
    const bundles = await bundleServices(specs, { root, cacheDir: bundleCacheDir(root) });
    for (const spec of specs) spec.entry = bundles.entries.get(spec.name) ?? spec.source;
    if (bundles.built) process.stdout.write(`bazaar: ${describeBundles(bundles, root)}\n`);
  } catch (error) {
    process.stderr.write(`bazaar: could not bundle the services, running them from their sources: ${(error as Error).message.split('\n')[0]}\n`);
  }
}

// Background services (read models, email: "background": true in their package.json) may yield the CPU to the shop when it is short.
// Off by default: on a busy machine a niced reports once fell a minute behind (docs/performance.md).
const backgroundNice = env.BAZAAR_BACKGROUND_NICE === undefined || env.BAZAAR_BACKGROUND_NICE === '' ? 0 : Number(env.BAZAAR_BACKGROUND_NICE);
if (!Number.isInteger(backgroundNice) || backgroundNice < 0 || backgroundNice > 19) fail(`BAZAAR_BACKGROUND_NICE must be a whole number from 0 (off) to 19, got "${env.BAZAAR_BACKGROUND_NICE}"`);

// The embedded collector: spans over OTLP/HTTP, log lines and process snapshots, kept in the data dir across restarts.
const retentionHours = Number(env.BAZAAR_TELEMETRY_RETENTION_HOURS || 24);
if (!Number.isFinite(retentionHours) || retentionHours <= 0) fail(`BAZAAR_TELEMETRY_RETENTION_HOURS must be a positive number, got "${env.BAZAAR_TELEMETRY_RETENTION_HOURS}"`);
const telemetryStore = openTelemetryStore(join(dataDir, 'launcher-telemetry.sqlite'), { maxAgeMs: retentionHours * 3600_000 });
const collector = createCollector(telemetryStore);
// Services export to the launcher unless the user named a collector of their own.
const otelEnv: Record<string, string> = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${host}:${launcherPort}` };

// A credential of its own per service (and one for the operator's tools), new each run; each service
// gets its callers' digests, never their secrets (docs/adr/0090-per-service-credentials.md).
const credentials = runCredentials(specs.map((s) => s.name), env.BAZAAR_OPERATOR_CREDENTIAL);
writeCredentialsFile(join(dataDir, 'credentials.json'), credentials);
const sinkSpec = specs.find((s) => s.smtpPort !== undefined);
const smtpPort = sinkSpec ? Number(env.MAIL_SINK_SMTP_PORT || (portBase === undefined ? sinkSpec.smtpPort : portBase + 80)) : undefined;
if (smtpPort !== undefined && !(await portIsFree(host, smtpPort))) fail(`port ${smtpPort} on ${host} is in use (the mail sink's SMTP port). Set MAIL_SINK_SMTP_PORT to a free port.`);

const processes = new Map<string, SupervisedProcess>();
const specOf = new Map<string, ServiceSpec>();
const byService = new Map<string, SupervisedProcess[]>();
for (const spec of specs) {
  for (const [i, port] of (instances.get(spec.name) as number[]).entries()) {
    const name = instanceName(spec.name, i + 1);
    // Node's module compile cache (compiled and type-stripped modules, kept across runs): a warm start skips most of the module loading.
    const secret = credentials.secrets[spec.name] as string;
    const base = { ...env, ...otelEnv, BAZAAR_SERVICE_CREDENTIAL: secret, BAZAAR_SERVICE_CALLERS: credentials.callers[spec.name] as string, NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE || compileCache };
    // The gateway's admin listener (metrics, readiness) is on a port of its own, never the public one.
    const adminPort = spec.gateway ? (portBase === undefined ? port + 1000 : portBase + 85 + i) : undefined;
    if (adminPort !== undefined && !(await portIsFree(host, adminPort))) fail(`port ${adminPort} on ${host} is in use (the gateway's admin listener). Stop whatever uses it, or use --port-base.`);
    const childVars = childEnv({ spec, specs, ports, host, dataDir, base, instances, ordinal: i + 1, ...(smtpPort === undefined ? {} : { smtpPort }) });
    if (adminPort !== undefined) childVars.ADMIN_PORT = String(adminPort);
    const proc = new SupervisedProcess({
      spec,
      name,
      url: `http://${host}:${port}`,
      ...(adminPort === undefined ? {} : { readyUrl: `http://${host}:${adminPort}/readyz` }),
      env: childVars,
      logFile: join(logDir, `${name}.log`),
      nice: spec.background ? backgroundNice : 0,
      echo: args.logs === true,
      nodePath: process.execPath,
      onLine: (line) => collector.line(name, spec.name, line),
    });
    processes.set(name, proc);
    specOf.set(name, spec);
    byService.set(spec.name, [...(byService.get(spec.name) ?? []), proc]);
  }
}

const gateway = specs.find((s) => s.gateway);
const gatewayUrl = gateway ? `http://${host}:${ports.get(gateway.name)}` : '';
const dashboardUrl = `http://${host}:${launcherPort}`;
const serviceUrls = new Map(specs.map((s) => [s.name, `http://${host}:${ports.get(s.name)}`]));
// On NATS JetStream the Events page lists the dead letters and replays them (as `npm run dead-letters` does).
const deadLetters = env.NATS_URL ? await jetStreamDeadLetters({ url: env.NATS_URL, prefix: env.NATS_STREAM_PREFIX ?? '' }) : undefined;
const control = createControlServer({
  processes,
  services: byService,
  gatewayUrl,
  rolling: { readyTimeoutMs, settleMs: 2500, log },
  telemetry: { store: telemetryStore, collector },
  serviceUrls,
  operatorCredential: (service: string) => `${OPERATOR}:${audienceSecret(credentials.secrets[OPERATOR] as string, service)}`,
  ...(deadLetters ? { deadLetters } : {}),
});
await new Promise<void>((done) => control.listen(launcherPort, host, done));

let started = false;
let stopping = false;
for (const proc of processes.values()) {
  proc.on('exit', (e: { name: string; reason: string; expected: boolean; fatal?: boolean; output?: string; restartInMs?: number; attempt?: number }) => {
    if (e.fatal) {
      log(`✗ ${e.name} cannot start: its configuration is invalid (not restarting)\n${e.output ?? ''}`);
      if (!started) void stopAll(1);
      return;
    }
    if (e.expected || stopping) {
      if (started && !stopping) log(`■ ${e.name} stopped (${e.reason})`);
      return;
    }
    log(`✗ ${e.name} ${e.reason}; restarting in ${e.restartInMs} ms (attempt ${e.attempt}). Log: ${join(logDir, `${e.name}.log`)}`);
  });
  proc.on('ready', (info: { name: string; pid: number | undefined }) => {
    if (started) log(`✓ ${info.name} ready again (pid ${info.pid})`);
  });
}

async function stopAll(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  log('stopping all services…');
  // The door closes first, then the rooms.
  const doors = [...processes.values()].filter((p) => specOf.get(p.name)?.gateway);
  await Promise.all(doors.map((p) => p.stop()));
  await Promise.all([...processes.values()].map((p) => p.stop()));
  await Promise.all([...processes.values()].map((p) => p.dispose()));
  control.close();
  await deadLetters?.close().catch(() => undefined);
  collector.close();
  telemetryStore.close();
  log('all services stopped');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const t0 = Date.now();
log(`starting ${specs.length} services (data: ${dataDir}, logs: ${logDir})`);

function waitReady(proc: SupervisedProcess): Promise<void> {
  return new Promise((done, reject) => {
    const timer = setTimeout(() => reject(new Error(proc.name)), Math.max(0, readyTimeoutMs - (Date.now() - t0)));
    proc.once('ready', () => {
      clearTimeout(timer);
      done();
    });
    proc.start();
  });
}

try {
  // Everything at once (a process spends its first second or two loading code: on two cores, in parallel is
  // what makes start-up short; docs/performance.md), except the extra instances of a service, which wait for its
  // first one: the first instance applies its migrations and seed alone. The development stand-ins and the
  // gateway need nobody to be up first: callers retry and the gateway's health checks find its upstreams ready.
  const all = [...processes.values()];
  const extra = all.filter((p) => specOf.get(p.name)?.name !== p.name && !specOf.get(p.name)?.gateway);
  await Promise.all(all.filter((p) => !extra.includes(p)).map(waitReady));
  await Promise.all(extra.map(waitReady));
} catch (error) {
  const name = (error as Error).message;
  process.stderr.write(`bazaar: ${name} did not become ready within ${readyTimeoutMs / 1000} s. See ${join(logDir, `${name}.log`)}\n`);
  await stopAll(1);
}

started = true;
const seconds = ((Date.now() - t0) / 1000).toFixed(1);
process.stdout.write(`\n${processTable([...processes.values()].map((p) => p.info()))}\n\n`);
process.stdout.write(`Bazaar is up in ${seconds} s — every service is its own process.\n\n`);
const storefront = specs.some((s) => s.areas.includes('storefront'));
if (storefront) process.stdout.write(`  Back office          ${gatewayUrl}/admin\n`);
process.stdout.write(`  Shop API (gateway)   ${gatewayUrl}/api/catalog/products\n`);
if (env.TLS_CERT_FILE && env.TLS_KEY_FILE) process.stdout.write(`  Shop API (HTTPS)     https://localhost:${env.TLS_PORT || 8443}/api/catalog/products   (HTTP/2)\n`);
process.stdout.write(`  Operations page      ${dashboardUrl}/   (topology, traces, a checkout's story, logs, chaos)\n`);
process.stdout.write(`  Traces (OTLP)        ${otelEnv.OTEL_EXPORTER_OTLP_ENDPOINT ? `kept by the launcher in ${telemetryStore.file}` : `sent to ${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT}`}\n`);
process.stdout.write(`  Process table (JSON) ${dashboardUrl}/api/services\n`);
if (sinkSpec) {
  const sinkUrl = `http://${host}:${ports.get(sinkSpec.name)}`;
  process.stdout.write(`  Mail received        ${sinkUrl}/   (JSON: ${sinkUrl}/api/messages; SMTP on ${host}:${smtpPort})\n`);
}
process.stdout.write(`  Logs                 ${logDir}/<service>.log   (or: npm start -- --logs)\n`);
if (infra.length > 0) {
  process.stdout.write(`  Infrastructure       ${infra.map((t) => `${t.what} ${maskUrl(t.url)}`).join(', ')}\n`);
  process.stdout.write(`                       (search and reports still read producers' /internal/events: they replay history to rebuild)\n`);
}
process.stdout.write(`  Rolling restart      npm run restart -- <service>\n`);
process.stdout.write(`  Admin login          ${env.ADMIN_EMAIL || 'admin@bazaar.local'} (password: ADMIN_PASSWORD, see README)\n\n`);
process.stdout.write(`Press Ctrl-C to stop.\n`);
// The last words of the summary: where a person starts (the storefront, through the gateway).
if (storefront) process.stdout.write(`\nShop in your browser: open ${gatewayUrl}/\n`);
log('ready');
