import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assignPorts, childEnv, discoverServices, instancePorts, parseScale, type ServiceSpec } from '../src/services.ts';
import { SupervisedProcess, backoffMs, serviceNodeFlags, type ProcessInfo } from '../src/supervisor.ts';
import { formatTable } from '../src/table.ts';
import { until } from '../src/harness.ts';
import { freePort } from '@bazaar/kit/testing';

const servicesDir = fileURLToPath(new URL('../../../services', import.meta.url));

const spec = (name: string, port: number, extra: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name, dir: '/tmp', entry: '/tmp/main.ts', source: '/tmp/main.ts', bundle: true, port, areas: [name], gateway: false, infra: false, smtpPort: undefined, ...extra,
});

test('discovers every service in services/ and runnable tools, gateway last', () => {
  const specs = discoverServices(servicesDir, fileURLToPath(new URL('../..', import.meta.url)));
  assert.ok(!specs.some((s) => s.name === 'launcher' || s.name === 'bench'), 'tools without a "bazaar" field are not started');
  const names = specs.map((s) => s.name);
  assert.ok(names.includes('gateway'));
  assert.equal(names.at(-1), 'gateway');
  assert.equal(specs.find((s) => s.gateway)?.port, 8080);
  // Read models and email run at a lower CPU priority; everything on a shopper's path does not.
  assert.deepEqual(specs.filter((s) => s.background).map((s) => s.name).sort(), ['notifications', 'reports', 'search']);
});

test('ports: env override beats --port-base beats the default; clashes are refused', () => {
  const specs = [spec('identity', 8081), spec('catalog', 8082), spec('gateway', 8080, { gateway: true, areas: [] })];
  assert.deepEqual([...assignPorts(specs, {})], [['identity', 8081], ['catalog', 8082], ['gateway', 8080]]);
  assert.deepEqual([...assignPorts(specs, {}, 20000)], [['identity', 20000], ['catalog', 20001], ['gateway', 20002]]);
  assert.equal(assignPorts(specs, { GATEWAY_PORT: '9090' }).get('gateway'), 9090);
  assert.throws(() => assignPorts(specs, { GATEWAY_PORT: 'http' }), /GATEWAY_PORT must be a port number/);
  assert.throws(() => assignPorts(specs, { CATALOG_PORT: '8081' }), /would both listen on port 8081/);
});

test('each child learns its port, data dir, every service URL; the gateway gets the routing table', () => {
  const specs = [spec('identity', 8081), spec('catalog', 8082), spec('orders', 8085, { areas: ['orders', 'checkout'] }), spec('gateway', 8080, { gateway: true, areas: [] })];
  const ports = assignPorts(specs, {});
  const gw = childEnv({ spec: specs[3] as ServiceSpec, specs, ports, host: '127.0.0.1', dataDir: '/data', base: { ADMIN_EMAIL: 'a@b.c' } });
  assert.equal(gw.PORT, '8080');
  assert.equal(gw.BAZAAR_DATA_DIR, '/data');
  assert.equal(gw.IDENTITY_URL, 'http://127.0.0.1:8081');
  assert.equal(gw.BAZAAR_UPSTREAMS, 'identity=http://127.0.0.1:8081,catalog=http://127.0.0.1:8082,orders=http://127.0.0.1:8085,checkout=http://127.0.0.1:8085');
  assert.equal(gw.ADMIN_EMAIL, 'a@b.c');
  const cat = childEnv({ spec: specs[1] as ServiceSpec, specs, ports, host: '127.0.0.1', dataDir: '/data', base: {} });
  assert.equal(cat.BAZAAR_UPSTREAMS, undefined);
});

test('--scale: several instances, each on its own port; every caller learns all of them', () => {
  const specs = [spec('mail-sink', 8025, { infra: true, areas: [], smtpPort: 2525 }), spec('payments', 8086), spec('orders', 8085, { areas: ['orders', 'checkout'] }), spec('gateway', 8080, { gateway: true, areas: [] })];
  const scale = parseScale(['payments=3', 'orders=2'], specs);
  assert.deepEqual([...scale], [['payments', 3], ['orders', 2]]);
  const ports = assignPorts(specs, {});
  const instances = instancePorts(specs, ports, scale);
  assert.deepEqual(instances.get('payments'), [8086, 8186, 8286]);
  assert.deepEqual([...instancePorts(specs, assignPorts(specs, {}, 20000), scale, 20000).values()].flat(), [20000, 20001, 20040, 20041, 20002, 20042, 20003]);
  const third = childEnv({ spec: specs[1] as ServiceSpec, specs, ports, host: '127.0.0.1', dataDir: '/d', base: {}, instances, ordinal: 3 });
  assert.equal(third.PORT, '8286');
  assert.equal(third.BAZAAR_INSTANCE, 'payments-3');
  assert.equal(third.PAYMENTS_URL, 'http://127.0.0.1:8086,http://127.0.0.1:8186,http://127.0.0.1:8286');
  const gw = childEnv({ spec: specs[3] as ServiceSpec, specs, ports, host: '127.0.0.1', dataDir: '/d', base: {}, instances });
  assert.equal(gw.BAZAAR_UPSTREAMS, 'payments=http://127.0.0.1:8086,payments=http://127.0.0.1:8186,payments=http://127.0.0.1:8286,orders=http://127.0.0.1:8085,orders=http://127.0.0.1:8185,checkout=http://127.0.0.1:8085,checkout=http://127.0.0.1:8185');
  assert.throws(() => parseScale(['payments=0'], specs), /1 to 9/);
  assert.throws(() => parseScale(['nope=2'], specs), /no service "nope"/);
  assert.throws(() => parseScale(['mail-sink=2'], specs), /runs once/);
  assert.throws(() => parseScale(['payments'], specs), /<service>=<instances>/);
  assert.throws(() => instancePorts([spec('a', 8086), spec('b', 8186)], new Map([['a', 8086], ['b', 8186]]), new Map([['a', 2]])), /would both listen on port 8186/);
});

test('with a mail sink, every service gets SMTP_URL pointing at it unless the user set one', () => {
  const specs = [spec('mail-sink', 8025, { infra: true, areas: [], smtpPort: 2525 }), spec('notifications', 8088, { areas: [] })];
  const ports = assignPorts(specs, {});
  const notif = childEnv({ spec: specs[1] as ServiceSpec, specs, ports, host: '127.0.0.1', dataDir: '/d', base: {}, smtpPort: 2525 });
  assert.equal(notif.SMTP_URL, 'smtp://127.0.0.1:2525');
  const sink = childEnv({ spec: specs[0] as ServiceSpec, specs, ports, host: '127.0.0.1', dataDir: '/d', base: {}, smtpPort: 2600 });
  assert.equal(sink.SMTP_PORT, '2600');
  const real = childEnv({ spec: specs[1] as ServiceSpec, specs, ports, host: '127.0.0.1', dataDir: '/d', base: { SMTP_URL: 'smtp://mail.internal:25' }, smtpPort: 2525 });
  assert.equal(real.SMTP_URL, 'smtp://mail.internal:25');
});

test('restart backoff doubles from 250 ms and is capped at 10 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map(backoffMs), [250, 500, 1000, 2000, 4000, 8000, 10000, 10000]);
});

test('tables are aligned', () => {
  assert.equal(formatTable(['a', 'bb'], [['xxx', 'y']]), 'a    bb\n---  --\nxxx  y');
});



test('a supervised process that is killed -9 is restarted and becomes ready again, at its CPU priority; stop() ends it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-sup-'));
  const port = await freePort();
  const entry = join(dir, 'main.mjs');
  writeFileSync(entry, `import { createServer } from 'node:http';
createServer((req, res) => res.end(req.url === '/readyz' ? 'ok' : 'hi')).listen(${port}, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));\n`);
  const proc = new SupervisedProcess({
    spec: { name: 'toy', dir, entry, source: entry, bundle: false, port, areas: [], gateway: false, infra: false, smtpPort: undefined },
    url: `http://127.0.0.1:${port}`,
    env: {},
    logFile: join(dir, 'toy.log'),
    echo: false,
    nodePath: process.execPath,
    nice: 7,
  });
  const events: string[] = [];
  const restartDelays: number[] = [];
  proc.on('exit', (e: { reason: string; expected: boolean; restartInMs?: number }) => {
    events.push(`exit:${e.reason}:${e.expected}`);
    if (e.restartInMs !== undefined) restartDelays.push(e.restartInMs);
  });
  proc.on('restart', () => events.push('restart'));
  try {
    proc.start();
    const first = await until<ProcessInfo>('first ready', 30_000, () => (proc.info().state === 'ready' ? proc.info() : undefined));
    assert.ok(first.pid);
    // A background service yields the CPU, after a restart too (below).
    assert.equal(getPriority(first.pid), 7, 'started at the niceness asked for');
    process.kill(first.pid, 'SIGKILL');
    const second = await until<ProcessInfo>('ready after the kill', 30_000, () => {
      const info = proc.info();
      return info.state === 'ready' && info.pid !== first.pid ? info : undefined;
    });
    // Restarted after the first backoff step (250 ms), as scheduled, rather than timed against the wall clock.
    assert.deepEqual(restartDelays, [backoffMs(1)], 'restarted after the first backoff step');
    assert.equal(second.restarts, 1);
    assert.deepEqual(events, ['exit:killed by SIGKILL:false', 'restart']);
    assert.equal(getPriority(second.pid as number), 7, 'restarted at the same niceness');
    // Its first readiness is kept across the restart (the topology's start-up rule).
    assert.ok(first.firstReadyAt);
    assert.equal(second.firstReadyAt, first.firstReadyAt, 'first readiness kept across a restart');
    await proc.stop();
    assert.equal(proc.info().state, 'stopped');
    assert.equal(proc.info().pid, undefined);
    assert.deepEqual(events.at(-1), 'exit:exited with code 0:true');
  } finally {
    await proc.stop();
    await proc.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a service that exits with the config-error code is not restarted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-sup-'));
  const entry = join(dir, 'main.mjs');
  writeFileSync(entry, `process.stderr.write('Invalid configuration:\\n  - PORT: must be integer\\n'); process.exit(78);\n`);
  const proc = new SupervisedProcess({
    spec: { name: 'bad', dir, entry, source: entry, bundle: false, port: 1, areas: [], gateway: false, infra: false, smtpPort: undefined },
    url: 'http://127.0.0.1:1',
    env: {},
    logFile: join(dir, 'bad.log'),
    echo: false,
    nodePath: process.execPath,
  });
  try {
    const exit = new Promise<{ fatal?: boolean; output?: string }>((resolve) => proc.once('exit', resolve));
    proc.start();
    const e = await exit;
    assert.equal(e.fatal, true);
    assert.match(e.output ?? '', /PORT: must be integer/);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(proc.info().state, 'failed');
    assert.equal(proc.info().restarts, 0);
  } finally {
    await proc.stop();
    await proc.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a service runs with 2 MB semi-spaces and one V8 worker thread, unless NODE_OPTIONS sets its own values', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-sup-'));
  const entry = join(dir, 'main.mjs');
  // The toy says which V8 flags it was started with, then waits to be stopped.
  writeFileSync(entry, `import { writeFileSync } from 'node:fs';
writeFileSync(process.env.OUT, JSON.stringify({ execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS ?? null }));
setInterval(() => {}, 1000);
process.on('SIGTERM', () => process.exit(0));\n`);
  const run = async (name: string, extraEnv: Record<string, string>) => {
    const out = join(dir, `${name}.json`);
    const proc = new SupervisedProcess({
      spec: { name, dir, entry, source: entry, bundle: false, port: 1, areas: [], gateway: false, infra: false, smtpPort: undefined },
      url: 'http://127.0.0.1:1',
      env: { OUT: out, ...extraEnv },
      logFile: join(dir, `${name}.log`),
      echo: false,
      nodePath: process.execPath,
    });
    try {
      proc.start();
      return await until(`${name} to report its flags`, 30_000, () => (existsSync(out) && statSync(out).size > 0 ? (JSON.parse(readFileSync(out, 'utf8')) as { execArgv: string[]; nodeOptions: string | null }) : undefined));
    } finally {
      await proc.stop();
      await proc.dispose();
    }
  };
  try {
    assert.deepEqual((await run('small', {})).execArgv, ['--max-semi-space-size=2', '--v8-pool-size=1']);
    const own = await run('own', { NODE_OPTIONS: '--max-semi-space-size=16 --v8-pool-size=4' });
    assert.deepEqual(own.execArgv, [], 'no flag of the launcher\'s beside the user\'s own');
    assert.equal(own.nodeOptions, '--max-semi-space-size=16 --v8-pool-size=4');
    assert.deepEqual(serviceNodeFlags('--max_semi_space_size=4 --enable-source-maps'), ['--v8-pool-size=1'], 'V8 spells it with underscores too');
    assert.deepEqual(serviceNodeFlags('--v8-pool-size=2'), ['--max-semi-space-size=2'], 'each flag is left out on its own');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the launcher's own start loads neither the service kit's whole index nor the messaging package (what it needs of them are two small modules)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-launcher-imports-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Every module the launcher's entry loads, recorded by a resolve hook; `--help` stops right after the imports.
  const hook = join(dir, 'record.mjs');
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r; } });
process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify([...seen]) + '\\n'));
`,
  );
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--import', hook, main, '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.match(run.stdout, /Usage: npm start/, run.stderr);
  const line = /LOADED (.*)/.exec(run.stderr)?.[1];
  assert.ok(line, 'the hook reported what was loaded');
  const loaded = JSON.parse(line) as string[];
  assert.ok(loaded.some((url) => url.endsWith('/packages/kit/src/service-credentials.ts')), 'the credential helpers are loaded');
  for (const heavy of ['/packages/kit/src/index.ts', '/packages/messaging/', '/node_modules/fastify/', '/node_modules/@opentelemetry/sdk-trace-base/']) {
    assert.deepEqual(loaded.filter((url) => url.includes(heavy)), [], `${heavy} is not loaded by the launcher's start`);
  }
});

test("npm start's entry turns on Node's compile cache for the launcher's own modules before they load", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-launcher-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'cache-dir.mjs');
  writeFileSync(hook, "import { getCompileCacheDir } from 'node:module';\nprocess.on('exit', () => process.stderr.write('CACHE ' + String(getCompileCacheDir()) + '\\n'));\n");
  const env = { ...process.env };
  delete env.NODE_COMPILE_CACHE;
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const cacheOf = (entry: string): string | undefined => {
    const run = spawnSync(process.execPath, ['--import', hook, fileURLToPath(new URL(`../src/${entry}`, import.meta.url)), '--help'], { encoding: 'utf8', env, timeout: 60_000 });
    assert.match(run.stdout, /Usage: npm start/, run.stderr);
    return /CACHE (.*)/.exec(run.stderr)?.[1];
  };
  assert.equal(cacheOf('main.ts'), 'undefined', 'run directly, the launcher has no compile cache');
  const cache = cacheOf('start.ts') ?? '';
  const services = fileURLToPath(new URL('../../../node_modules/.cache/bazaar-compile', import.meta.url));
  assert.ok(cache.startsWith(`${services}/`), `npm start (start.ts) has one, in the services' directory (Node keeps a subdirectory per version): ${cache}`);
});
