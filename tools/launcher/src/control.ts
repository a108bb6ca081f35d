import { createServer, type Server } from 'node:http';
import type { SupervisedProcess, ProcessInfo } from './supervisor.ts';

const ACTION = /^\/api\/services\/([a-z0-9-]+)\/(start|stop|restart)$/;

/**
 * The launcher's operations endpoint (loopback only): a status page, the
 * process table as JSON, and start/stop/restart of one service.
 */
export function createControlServer(opts: { processes: Map<string, SupervisedProcess>; gatewayUrl: string }): Server {
  return createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const list = () => [...opts.processes.values()].map((p) => p.info());
    if (req.method === 'GET' && url === '/api/services') return send(200, 'application/json', JSON.stringify({ services: list() }));
    if (req.method === 'GET' && url === '/') return send(200, 'text/html; charset=utf-8', page(list(), opts.gatewayUrl));
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
${rows}</tbody></table><p>Stop, start or restart one: <code>curl -X POST ${'{this page}'}/api/services/&lt;name&gt;/restart</code></p></body></html>`;
}
