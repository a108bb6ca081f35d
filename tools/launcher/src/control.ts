import { createServer, type Server } from 'node:http';
import type { SupervisedProcess, ProcessInfo } from './supervisor.ts';
import { rollingRestart, RollingRestartError, type RollingOptions } from './rolling.ts';
import { crossSite } from './csrf.ts';

const ACTION = /^\/api\/services\/([a-z0-9-]+)\/(start|stop|restart)$/;
const ROLLING = /^\/api\/services\/([a-z0-9-]+)\/rolling-restart$/;

export interface ControlOptions {
  /** Every instance by its name (payments, payments-2…). */
  processes: Map<string, SupervisedProcess>;
  /** Each service's instances, in order (for rolling restarts). Default: each process alone. */
  services?: Map<string, SupervisedProcess[]>;
  gatewayUrl: string;
  rolling?: RollingOptions;
}

/**
 * The launcher's operations endpoint (loopback only): a status page, the
 * process table as JSON, start/stop/restart of one instance, and a rolling
 * restart of every instance of a service.
 */
export function createControlServer(opts: ControlOptions): Server {
  const rolling = new Set<string>();
  return createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    // Every state-changing call: refused when a browser says another site sent it (csrf.ts).
    const forged = req.method !== 'GET' && req.method !== 'HEAD' ? crossSite(req) : undefined;
    if (forged) return send(403, 'application/problem+json', JSON.stringify({ title: 'Cross-site request refused', status: 403, detail: `The control API only takes changes from its own page or from tools (${forged}).` }));
    const list = () => [...opts.processes.values()].map((p) => p.info());
    if (req.method === 'GET' && url === '/api/services') return send(200, 'application/json', JSON.stringify({ services: list() }));
    if (req.method === 'GET' && url === '/') return send(200, 'text/html; charset=utf-8', page(list(), opts.gatewayUrl));
    const roll = ROLLING.exec(url);
    if (req.method === 'POST' && roll) {
      const service = roll[1] as string;
      const instances = opts.services?.get(service) ?? (opts.processes.has(service) ? [opts.processes.get(service) as SupervisedProcess] : undefined);
      if (!instances) return send(404, 'application/problem+json', JSON.stringify({ title: 'No such service', status: 404, detail: `Known: ${[...(opts.services ?? opts.processes).keys()].join(', ')}` }));
      if (rolling.has(service)) return send(409, 'application/problem+json', JSON.stringify({ title: 'Already rolling', status: 409, detail: `A rolling restart of ${service} is in progress.` }));
      rolling.add(service);
      rollingRestart(instances, opts.rolling ?? { readyTimeoutMs: 60_000, settleMs: 2500 })
        .then(
          (steps) => send(200, 'application/json', JSON.stringify({ service, steps, instances: instances.map((p) => p.info()) })),
          (error: unknown) => {
            const status = error instanceof RollingRestartError ? error.status : 500;
            const steps = error instanceof RollingRestartError ? error.steps : [];
            send(status, 'application/problem+json', JSON.stringify({ title: 'Rolling restart stopped', status, detail: String((error as Error).message), steps }));
          },
        )
        .finally(() => rolling.delete(service));
      return;
    }
    const match = ACTION.exec(url);
    if (req.method === 'POST' && match) {
      const proc = opts.processes.get(match[1] as string);
      if (!proc) return send(404, 'application/problem+json', JSON.stringify({ title: 'No such service', status: 404, detail: `Known: ${[...opts.processes.keys()].join(', ')}` }));
      const action = match[2] as 'start' | 'stop' | 'restart';
      const done = action === 'start' ? Promise.resolve(proc.start()) : action === 'stop' ? proc.stop() : proc.restart();
      done.then(
        () => send(202, 'application/json', JSON.stringify(proc.info())),
        (error: unknown) => send(500, 'application/problem+json', JSON.stringify({ title: 'Action failed', status: 500, detail: String(error) })),
      );
      return;
    }
    send(404, 'application/problem+json', JSON.stringify({ title: 'Not found', status: 404, detail: `Try GET / or GET /api/services` }));
  });
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(services: ProcessInfo[], gatewayUrl: string): string {
  const rows = services
    .map(
      (s) => `<tr><td>${escape(s.name)}</td><td>${s.pid ?? '–'}</td><td><a href="${escape(s.url)}/readyz">${escape(s.url)}</a></td>
<td class="${s.state}">${s.state}</td><td>${s.restarts}</td><td>${escape(s.lastExit ?? '')}</td>
<td><a href="${escape(s.url)}/metrics">metrics</a> · <a href="${escape(s.url)}/openapi.json">openapi</a></td></tr>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Bazaar — operations</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.35rem .8rem;border-bottom:1px solid #ddd;text-align:left}
.ready{color:#08730b;font-weight:600}.crashed,.stopped{color:#b00020;font-weight:600}.starting,.restarting,.stopping{color:#a66b00}</style></head>
<body><h1>Bazaar — operations</h1><p>Public entry point: <a href="${escape(gatewayUrl)}/api/catalog/products">${escape(gatewayUrl)}</a></p>
<table><thead><tr><th>service</th><th>pid</th><th>url</th><th>state</th><th>restarts</th><th>last exit</th><th></th></tr></thead><tbody>
${rows}</tbody></table><p>Stop, start or restart one: <code>curl -X POST ${'{this page}'}/api/services/&lt;name&gt;/restart</code><br>
Restart every instance of a service, one by one: <code>npm run restart -- &lt;service&gt;</code></p></body></html>`;
}
