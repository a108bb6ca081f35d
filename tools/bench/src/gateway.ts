/**
 * The gateway benchmark: one real service route (a catalog product read)
 * measured three ways in one run, with the same load tool and connections:
 *   - direct to catalog;
 *   - through the Bazaar gateway (a valid token sent and verified, rate
 *     limits on with a high limit, access log on);
 *   - through a bare Node proxy (bare-proxy.ts: node:http and undici, as the
 *     gateway, with none of its features): the floor of a proxy in Node;
 *   - through nginx as a plain reverse proxy with one worker (access log on),
 *     when nginx is installed.
 * Targets are measured in interleaved rounds after a warm-up, so noise from
 * a shared machine falls on all of them alike; the median round is reported.
 * wrk is preferred (written in C, it leaves the CPU to what is measured);
 * autocannon, in Node, is the fallback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installed, loadTool, runLoad, type LoadTool } from './load.ts';
import { median } from './checkout.ts';
import type { RunningSystem } from '../../launcher/src/harness.ts';
import { formatTable } from '../../launcher/src/table.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export interface GatewayBenchOptions {
  connections: number;
  /** Seconds per measured round of one target. */
  durationS: number;
  /** Interleaved rounds per target (median reported). Default 3. */
  rounds?: number;
  write?: (text: string) => void;
}

export interface TargetFigures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time of the proxying process per request, in microseconds (not for direct). */
  cpuUsPerRequest: number | undefined;
}

export interface GatewayBenchResult {
  tool: LoadTool;
  targets: TargetFigures[];
  /** gateway req/s ÷ nginx req/s, when nginx ran. */
  ratioToNginx: number | undefined;
  ratioToDirect: number;
  /** CPU per request ÷ nginx's, when nginx ran: the gateway's (issue 14: ≤ 2.5) and the bare Node proxy's (its floor). */
  cpuToNginx: { gateway: number; bare: number | undefined } | undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, what: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} at ${url}`);
}

/** utime + stime of a process, in microseconds (Linux /proc). */
function cpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return undefined;
  }
}

function nginxConfig(dir: string, port: number, upstream: URL): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream catalog { server ${upstream.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://catalog;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

const DIRECT = 'direct to catalog';
const GATEWAY = 'Bazaar gateway (token verified, rate limited)';
const BARE = 'bare Node proxy (node:http + undici, no features)';
const NGINX = 'nginx, 1 worker (plain reverse proxy)';

/** CPU per request of the gateway and of the bare Node proxy, each ÷ nginx's; undefined without nginx's figure. */
export function cpuRatios(gateway: TargetFigures, bare: TargetFigures | undefined, nginx: TargetFigures | undefined): GatewayBenchResult['cpuToNginx'] {
  const base = nginx?.cpuUsPerRequest;
  if (base === undefined || !(base > 0) || gateway.cpuUsPerRequest === undefined) return undefined;
  return { gateway: gateway.cpuUsPerRequest / base, bare: bare?.cpuUsPerRequest === undefined ? undefined : bare.cpuUsPerRequest / base };
}

/**
 * Run the benchmark against a running system (started by the harness).
 * Starts its own gateway process (so rate limits can be set high) and nginx,
 * and stops both before returning.
 */
export async function benchGateway(system: RunningSystem, opts: GatewayBenchOptions): Promise<GatewayBenchResult> {
  const write = opts.write ?? ((text: string) => process.stdout.write(text));
  const rounds = opts.rounds ?? 3;
  const tool = loadTool();
  if (tool === 'autocannon') write('  wrk not found: using autocannon (in Node, it competes for the CPU). Install wrk: apt-get install wrk\n');
  const catalog = await system.service('catalog');
  const identity = await system.service('identity');
  const work = mkdtempSync(join(tmpdir(), 'bazaar-bench-gateway-'));
  const children: ChildProcess[] = [];
  try {
    const email = `bench-gw-${Date.now()}@example.com`;
    const password = 'correct horse battery staple';
    await fetch(`${system.gatewayUrl}/api/identity/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password, name: 'Bench' }) });
    const login = await fetch(`${system.gatewayUrl}/api/identity/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const token = ((await login.json()) as { accessToken: string }).accessToken;
    const page = (await (await fetch(`${catalog.url}/api/catalog/products?limit=1`)).json()) as { items: { id: string }[] };
    const path = `/api/catalog/products/${page.items[0]?.id}`;

    const gatewayPort = await freePort();
    const gateway = spawn(process.execPath, [join(root, 'services/gateway/src/main.ts')], {
      env: { ...process.env, PORT: String(gatewayPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn', BAZAAR_UPSTREAMS: `catalog=${catalog.url},identity=${identity.url}`, IDENTITY_URL: identity.url, RATE_LIMITS: 'read=1000000000/min' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(gateway);
    await waitFor(`http://127.0.0.1:${gatewayPort}/readyz`, 'the gateway', gateway);
    const check = await fetch(`http://127.0.0.1:${gatewayPort}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (check.status !== 200) throw new Error(`the gateway answered ${check.status} for ${path}`);

    const barePort = await freePort();
    const bare = spawn(process.execPath, [join(root, 'tools/bench/src/bare-proxy.ts')], { env: { ...process.env, PORT: String(barePort), HOST: '127.0.0.1', UPSTREAM: catalog.url }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(bare);
    await waitFor(`http://127.0.0.1:${barePort}${path}`, 'the bare Node proxy', bare);

    const targets: { name: string; url: string; pid: () => number | undefined }[] = [
      { name: DIRECT, url: `${catalog.url}${path}`, pid: () => undefined },
      { name: GATEWAY, url: `http://127.0.0.1:${gatewayPort}${path}`, pid: () => gateway.pid },
      { name: BARE, url: `http://127.0.0.1:${barePort}${path}`, pid: () => bare.pid },
    ];
    if (installed('nginx')) {
      const nginxPort = await freePort();
      writeFileSync(join(work, 'nginx.conf'), nginxConfig(work, nginxPort, new URL(catalog.url)));
      const nginx = spawn('nginx', ['-p', work, '-c', join(work, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(nginx);
      await waitFor(`http://127.0.0.1:${nginxPort}${path}`, 'nginx', nginx);
      const worker = () => {
        try {
          return Number(readFileSync(`/proc/${nginx.pid}/task/${nginx.pid}/children`, 'utf8').trim().split(/\s+/)[0]) || undefined;
        } catch {
          return undefined;
        }
      };
      targets.push({ name: NGINX, url: `http://127.0.0.1:${nginxPort}${path}`, pid: worker });
    } else {
      write('  nginx not found: the comparison with nginx is skipped. Install it: apt-get install nginx-light\n');
    }

    write(`  gateway bench: ${tool}, ${opts.connections} connections, ${rounds} interleaved rounds of ${opts.durationS} s per target, after a warm-up\n`);
    for (const target of targets) await runLoad(tool, target.url, { connections: opts.connections, durationS: 2, headers: { authorization: `Bearer ${token}` } });
    const samples = new Map<string, { rps: number; p50: number; p99: number; errors: number; cpu: number | undefined }[]>();
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const pid = target.pid();
        const before = cpuMicros(pid);
        const r = await runLoad(tool, target.url, { connections: opts.connections, durationS: opts.durationS, headers: { authorization: `Bearer ${token}` } });
        const after = cpuMicros(pid);
        const cpu = before !== undefined && after !== undefined && r.requests > 0 ? (after - before) / r.requests : undefined;
        samples.set(target.name, [...(samples.get(target.name) ?? []), { ...r, cpu }]);
      }
    }
    const figures: TargetFigures[] = targets.map(({ name }) => {
      const s = samples.get(name) ?? [];
      const cpus = s.map((x) => x.cpu).filter((x): x is number => x !== undefined);
      return {
        name,
        rps: median(s.map((x) => x.rps)),
        p50: median(s.map((x) => x.p50)),
        p99: median(s.map((x) => x.p99)),
        errors: s.reduce((sum, x) => sum + x.errors, 0),
        cpuUsPerRequest: cpus.length > 0 ? median(cpus) : undefined,
      };
    });
    const named = (name: string) => figures.find((f) => f.name === name);
    const direct = named(DIRECT) as TargetFigures;
    const viaGateway = named(GATEWAY) as TargetFigures;
    const viaNginx = named(NGINX);
    const result: GatewayBenchResult = {
      tool,
      targets: figures,
      ratioToNginx: viaNginx ? viaGateway.rps / viaNginx.rps : undefined,
      ratioToDirect: viaGateway.rps / direct.rps,
      cpuToNginx: cpuRatios(viaGateway, named(BARE), viaNginx),
    };
    write(`\n${formatTable(
      ['GET a product (catalog)', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'proxy CPU µs/req'],
      figures.map((f) => [f.name, f.rps.toFixed(0), f.p50.toFixed(2), f.p99.toFixed(2), String(f.errors), f.cpuUsPerRequest === undefined ? '–' : f.cpuUsPerRequest.toFixed(0)]),
    )}\n\n`);
    if (result.ratioToNginx !== undefined) write(`gateway ÷ nginx throughput:      ${result.ratioToNginx.toFixed(2)} (target ≥ 0.75)\n`);
    const cpu = result.cpuToNginx;
    if (cpu) write(`proxy CPU per request ÷ nginx's: gateway ${cpu.gateway.toFixed(2)}× (target ≤ 2.5×); the bare Node proxy, its floor, ${cpu.bare?.toFixed(2) ?? '–'}×\n`);
    write(`gateway ÷ direct throughput:     ${result.ratioToDirect.toFixed(2)}\n`);
    return result;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    rmSync(work, { recursive: true, force: true });
  }
}
