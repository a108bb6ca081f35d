// Scaling limits, rolling restarts and the --infra checks of the launcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@bazaar/kit/testing';
import { discoverServices, parseScale } from '../src/services.ts';
import { SupervisedProcess, type ProcessInfo } from '../src/supervisor.ts';
import { createControlServer } from '../src/control.ts';
import { rollingRestart, RollingRestartError, type RollingInstance } from '../src/rolling.ts';
import { until } from '../src/harness.ts';
import { checkInfra, infraEnv, INFRA_DEFAULTS, type InfraTarget } from '../src/infra.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('--scale refuses services marked "scalable": false, saying why; search and reports are', () => {
  const specs = discoverServices(join(root, 'services'), join(root, 'tools'));
  const of = (name: string) => specs.find((s) => s.name === name);
  assert.match(of('reports')?.singleInstance ?? '', /DuckDB/);
  assert.match(of('search')?.singleInstance ?? '', /snapshot/);
  assert.equal(of('payments')?.singleInstance, undefined, 'payments scales');
  assert.throws(() => parseScale(['reports=2'], specs), /--scale: reports runs as one instance only: DuckDB/);
  assert.throws(() => parseScale(['payments=3,search=2'], specs), /--scale: search runs as one instance only/);
  assert.deepEqual([...parseScale(['reports=1', 'payments=3'], specs)], [['reports', 1], ['payments', 3]], 'one instance is not scaling');
});

/** A toy service: answers /readyz, and takes 300 ms to start listening (a real service needs longer). */
function toy(dir: string, name: string, port: number): SupervisedProcess {
  const entry = join(dir, `${name}.mjs`);
  writeFileSync(entry, `import { createServer } from 'node:http';
setTimeout(() => createServer((req, res) => res.end(String(process.pid))).listen(${port}, '127.0.0.1'), 300);
process.on('SIGTERM', () => process.exit(0));\n`);
  return new SupervisedProcess({
    spec: { name: 'toy', dir, entry, source: entry, bundle: false, port, areas: [], gateway: false, infra: false, smtpPort: undefined },
    name,
    url: `http://127.0.0.1:${port}`,
    env: {},
    logFile: join(dir, `${name}.log`),
    echo: false,
    nodePath: process.execPath,
  });
}

/**
 * Whether an instance serves: it answers OK. A slow answer still serves (a busy
 * machine can take seconds); only a refused or reset connection or an error
 * status is "down", so the bound is generous and only stops a hung probe.
 */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    await res.text();
    return res.ok;
  } catch {
    return false;
  }
}

test('rolling restart over the control API: every instance gets a new process, one at a time, and one always serves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-roll-'));
  const instances = [toy(dir, 'toy', await freePort()), toy(dir, 'toy-2', await freePort())];
  const control = createControlServer({
    processes: new Map(instances.map((p) => [p.name, p])),
    services: new Map([['toy', instances]]),
    gatewayUrl: '',
    rolling: { readyTimeoutMs: 10_000, settleMs: 200 },
  });
  await new Promise<void>((done) => control.listen(0, '127.0.0.1', done));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  try {
    for (const p of instances) p.start();
    await Promise.all(instances.map((p) => p.whenReady(10_000)));
    const before = instances.map((p) => p.info().pid);

    // Watch both instances all along: at no moment may both be down.
    let watching = true;
    let ticks = 0;
    let bothDown = 0;
    const watcher = (async () => {
      while (watching) {
        const up = await Promise.all(instances.map((p) => answers(p.url)));
        ticks += 1;
        if (!up.includes(true)) bothDown += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const rolling = fetch(`${controlUrl}/api/services/toy/rolling-restart`, { method: 'POST' });
    // The roll has begun once the first instance is no longer the ready process it was (a fixed sleep raced it under load).
    await until('the first rolling restart to begin', 30_000, () => (instances[0]?.info().state !== 'ready' || instances[0]?.info().pid !== before[0] ? true : undefined));
    const second = await fetch(`${controlUrl}/api/services/toy/rolling-restart`, { method: 'POST' });
    assert.equal(second.status, 409, 'one roll at a time per service');
    await second.text();
    const res = await rolling;
    watching = false;
    await watcher;

    const body = (await res.json()) as { steps: { name: string; pidBefore: number; pidAfter: number }[]; instances: ProcessInfo[] };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.steps.map((s) => s.name), ['toy', 'toy-2'], 'in order');
    assert.deepEqual(body.steps.map((s) => s.pidBefore), before);
    for (const [i, p] of instances.entries()) {
      assert.equal(p.info().state, 'ready');
      assert.notEqual(p.info().pid, before[i], `${p.name} runs a new process`);
    }
    assert.ok(ticks > 5, `watched ${ticks} times`);
    assert.equal(bothDown, 0, 'some instance answered at every tick');
    assert.equal((await fetch(`${controlUrl}/api/services/nope/rolling-restart`, { method: 'POST' })).status, 404);

    // With one instance down, restarting the other would leave none: refused, nothing touched.
    await instances[1]?.stop();
    const pid = instances[0]?.info().pid;
    const refused = await fetch(`${controlUrl}/api/services/toy/rolling-restart`, { method: 'POST' });
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as { detail: string }).detail, /toy-2 is stopped/);
    assert.equal(instances[0]?.info().pid, pid);
  } finally {
    control.close();
    for (const p of instances) {
      await p.stop();
      await p.dispose();
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rolling restart stops at an instance that does not come back and leaves the rest alone', async () => {
  const restarted: string[] = [];
  const fake = (name: string, comesBack: boolean): RollingInstance => ({
    name,
    info: () => ({ name, pid: 1, url: '', state: 'ready', restarts: 0, lastExit: undefined, startedAt: undefined, firstReadyAt: undefined }),
    restart: async () => void restarted.push(name),
    whenReady: async () => {
      if (!comesBack) throw new Error(`${name} was not ready within 1 s`);
    },
  });
  const roll = rollingRestart([fake('a', true), fake('a-2', false), fake('a-3', true)], { readyTimeoutMs: 1000, settleMs: 0 });
  const error = await roll.then(
    () => assert.fail('the roll should stop'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RollingRestartError);
  assert.equal(error.status, 502);
  assert.match(error.message, /a-2 was not ready/);
  assert.deepEqual(error.steps.map((s) => s.name), ['a']);
  assert.deepEqual(restarted, ['a', 'a-2'], 'a-3 untouched');
});

/** A TCP server that answers like `reply` decides; resolves with its port. */
async function fakeServer(reply: (socket: Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer(reply);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { port: (server.address() as AddressInfo).port, server };
}

test('--infra: local defaults unless set; each server must answer its own protocol, else the message says how to start it', async () => {
  const { env, targets } = infraEnv({ REDIS_URL: 'redis://cache:6380', PATH: '/bin' });
  assert.equal(env.BAZAAR_POSTGRES_URL, INFRA_DEFAULTS.BAZAAR_POSTGRES_URL);
  assert.equal(env.NATS_URL, 'nats://127.0.0.1:4222');
  assert.equal(env.REDIS_URL, 'redis://cache:6380');
  assert.equal(env.PATH, '/bin');
  assert.deepEqual(targets.map((t) => [t.variable, t.fromEnv]), [['BAZAAR_POSTGRES_URL', false], ['REDIS_URL', true], ['NATS_URL', false]]);

  const pg = await fakeServer((s) => s.once('data', () => s.end('N')));
  const redis = await fakeServer((s) => s.once('data', () => s.end('+PONG\r\n')));
  const natsNoJs = await fakeServer((s) => s.end('INFO {"version":"2.9.10","jetstream":false}\r\n'));
  const nats = await fakeServer((s) => s.end('INFO {"version":"2.9.10","jetstream":true}\r\n'));
  const closed = await freePort();
  try {
    const good = infraEnv({
      BAZAAR_POSTGRES_URL: `postgres://u:secret@127.0.0.1:${pg.port}`,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      NATS_URL: `nats://127.0.0.1:${nats.port}`,
    });
    assert.deepEqual(await checkInfra(good.targets), []);

    const bad = infraEnv({ REDIS_URL: `redis://127.0.0.1:${pg.port}`, NATS_URL: `nats://127.0.0.1:${natsNoJs.port}` });
    const pgDown = { ...(bad.targets[0] as InfraTarget), url: `postgres://postgres:secret@127.0.0.1:${closed}` };
    const problems = await checkInfra([pgDown, ...bad.targets.slice(1)], 1000);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0] ?? '', /PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+ .*not reachable \(ECONNREFUSED\).*pg_ctlcluster/s);
    assert.doesNotMatch(problems.join('\n'), /secret/, 'passwords are never printed');
    assert.match(problems[1] ?? '', /Redis .*not Redis \("N"\); check REDIS_URL/);
    assert.match(problems[2] ?? '', /runs without JetStream: restart it with -js/);
  } finally {
    for (const s of [pg, redis, natsNoJs, nats]) s.server.close();
  }
});

test('scaling over the control API: down stops the last instance (the topology does not call it down), up starts it again; limits, races and other sites refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-scale-'));
  const instances = [toy(dir, 'toy', await freePort()), toy(dir, 'toy-2', await freePort()), toy(dir, 'toy-3', await freePort())];
  const control = createControlServer({
    processes: new Map(instances.map((p) => [p.name, p])),
    services: new Map([['toy', instances]]),
    gatewayUrl: '',
    rolling: { readyTimeoutMs: 10_000, settleMs: 200 },
  });
  await new Promise<void>((done) => control.listen(0, '127.0.0.1', done));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  const scale = (instances: unknown, headers: Record<string, string> = {}) =>
    fetch(`${controlUrl}/api/services/toy/scale`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ instances }) });
  const states = () => instances.map((p) => p.info().state);
  const node = async () => ((await (await fetch(`${controlUrl}/api/topology`)).json()) as { nodes: { name: string; instances: number; ready: number }[] }).nodes.find((n) => n.name === 'toy');
  try {
    for (const p of instances) p.start();
    await Promise.all(instances.map((p) => p.whenReady(10_000)));

    const down = await scale(1);
    assert.equal(down.status, 200, await down.clone().text());
    assert.deepEqual(((await down.json()) as { instances: number; slots: number }).instances, 1);
    assert.deepEqual(states(), ['ready', 'stopped', 'stopped'], 'the last ones stop, the first keeps serving');
    assert.equal(await answers(instances[0]?.url as string), true);
    assert.deepEqual(await node(), { name: 'toy', state: 'ready', instances: 1, ready: 1 }, 'a scaled-down service is not down');
    const overview = await (await fetch(`${controlUrl}/`)).text();
    assert.match(overview, /data-scale="toy" data-running="1"/);
    assert.match(overview, /1 of 3 running/);

    // A rolling restart now restarts only the instance that runs.
    const pid = instances[0]?.info().pid;
    const roll = await fetch(`${controlUrl}/api/services/toy/rolling-restart`, { method: 'POST' });
    assert.equal(roll.status, 200, await roll.clone().text());
    assert.deepEqual(((await roll.json()) as { steps: { name: string }[] }).steps.map((s) => s.name), ['toy']);
    assert.notEqual(instances[0]?.info().pid, pid);
    assert.deepEqual(states(), ['ready', 'stopped', 'stopped']);

    const up = await scale(2);
    assert.equal(up.status, 200, await up.clone().text());
    assert.deepEqual(states(), ['ready', 'ready', 'stopped'], 'answers once the instance started is ready');
    assert.equal(await answers(instances[1]?.url as string), true);
    assert.deepEqual(await node(), { name: 'toy', state: 'ready', instances: 2, ready: 2 });

    for (const bad of [0, 4, 1.5, '2', null]) {
      const res = await scale(bad);
      assert.equal(res.status, 400, `instances ${JSON.stringify(bad)}`);
      assert.match(((await res.json()) as { detail: string }).detail, /from 1 to 3/);
    }
    assert.equal((await fetch(`${controlUrl}/api/services/nope/scale`, { method: 'POST', body: '{"instances":1}' })).status, 404);
    const forged = await scale(1, { origin: 'https://evil.example' });
    assert.equal(forged.status, 403);
    await forged.text();
    assert.deepEqual(states(), ['ready', 'ready', 'stopped'], 'nothing done for another site');
    // One change at a time: while toy-3 starts (it takes 300 ms to listen), another change is refused.
    const upToThree = scale(3);
    await until('toy-3 to be starting', 10_000, () => (instances[2]?.info().state === 'starting' ? true : undefined));
    const meanwhile = await scale(1);
    assert.equal(meanwhile.status, 409);
    await meanwhile.text();
    assert.equal((await upToThree).status, 200);
    assert.deepEqual(states(), ['ready', 'ready', 'ready']);
  } finally {
    control.close();
    for (const p of instances) {
      await p.stop();
      await p.dispose();
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
