import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { SupervisedProcess } from './supervisor.ts';
import { rollingRestart, RollingRestartError, type RollingOptions } from './rolling.ts';
import type { Collector } from './telemetry/collector.ts';
import type { TelemetryStore } from './telemetry/store.ts';
import { edgesFrom, topologySvg, type NodeState } from './dashboard/topology.ts';
import { chaosPage, chaosTable, deadLettersSection, eventsPage, scaleControls, logLines, logsPage, orderPage, overviewPage, servicesTable, tracePage, tracesPage, type ConsumerRow } from './dashboard/views.ts';
import { esc } from './dashboard/layout.ts';
import { crossSite } from './csrf.ts';
import { httpCall } from './http-call.ts';
import type { DeadLetter, DeadLetters } from './dead-letters.ts';
import { SERVICE_CREDENTIAL_HEADER } from '@bazaar/kit/service-credentials';

const ACTION = /^\/api\/services\/([a-z0-9-]+)\/(start|stop|restart|freeze|thaw|kill)$/;
const ROLLING = /^\/api\/services\/([a-z0-9-]+)\/rolling-restart$/;
const SCALE = /^\/api\/services\/([a-z0-9-]+)\/scale$/;
const REPLAY = /^\/api\/dead-letters\/([0-9]{1,15})\/replay$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const TOPOLOGY_WINDOW_MS = 60_000;
const STREAM_EVERY_MS = 2000;
const DEAD_LETTERS_SHOWN = 200;
const NO_DEAD_LETTERS = 'Dead letters exist with NATS JetStream only (npm run start:infra, or NATS_URL set); the embedded feed retries a failing event at the head of its consumer\'s line instead.';

export interface ControlOptions {
  /** Every instance by its name (payments, payments-2…). */
  processes: Map<string, SupervisedProcess>;
  /** Each service's instances, in order (for rolling restarts). Default: each process alone. */
  services?: Map<string, SupervisedProcess[]>;
  gatewayUrl: string;
  rolling?: RollingOptions;
  /** The embedded collector and its store (dashboard pages beyond the process table need them). */
  telemetry?: { store: TelemetryStore; collector: Collector };
  /** Base URL of each service (first instance), for readiness details, psp-sim's knobs and event lag. */
  serviceUrls?: Map<string, string>;
  /** The operator's credential header value for one service, for producers' /internal/events (consumer lag). */
  operatorCredential?: (service: string) => string;
  /** The JetStream dead letters (with NATS only): listed on the Events page, replayed from it. */
  deadLetters?: DeadLetters;
}

type Send = (status: number, type: string, body: string) => void;

const problem = (send: Send, status: number, title: string, detail: string) => send(status, 'application/problem+json', JSON.stringify({ title, status, detail }));

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 65_536) throw new Error('body too large');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? {} : (JSON.parse(text) as unknown);
}

/**
 * The launcher's operations endpoint (loopback only): the dashboard's pages,
 * the process table as JSON, start/stop/restart/freeze/thaw/kill of one
 * instance, a rolling restart of every instance of a service, the card
 * network's knobs, and the OTLP/HTTP receiver for the services' spans.
 */
export function createControlServer(opts: ControlOptions): Server {
  const rolling = new Set<string>();
  /** Instances stopped by scaling down (not failures: the topology leaves them out). */
  const scaledDown = new Set<string>();
  /** Services being scaled (one change at a time per service). */
  const scaling = new Set<string>();
  const groups = (): Map<string, SupervisedProcess[]> => opts.services ?? new Map([...opts.processes].map(([n, p]) => [n, [p]]));
  /** A service's instances that are meant to run (all but the scaled-down ones), in order. */
  const active = (procs: SupervisedProcess[]) => procs.filter((p) => !scaledDown.has(p.name));
  const readiness = new Map<string, string>();
  const list = () => [...opts.processes.values()].map((p) => p.info());
  const tel = opts.telemetry;

  const nodes = (): NodeState[] => {
    return [...groups()].map(([name, procs]) => {
      const infos = active(procs).map((p) => p.info());
      const bad = infos.find((i) => i.state !== 'ready');
      return { name, state: bad?.state ?? 'ready', instances: infos.length, ready: infos.filter((i) => i.state === 'ready').length };
    });
  };
  /** When each service first answered ready (its earliest instance), null while none has: start-up calls are not failures. */
  const firstReady = (): Map<string, number | null> =>
    new Map(
      [...groups()].map(([name, procs]) => {
        const times = procs.map((p) => p.info().firstReadyAt).filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
        return [name, times.length ? Math.min(...times) : null];
      }),
    );
  const edges = () => (tel ? edgesFrom(tel.store.spansSince(Date.now() - TOPOLOGY_WINDOW_MS), TOPOLOGY_WINDOW_MS, firstReady()) : []);
  const topology = () => topologySvg(nodes(), edges());
  const services = () => servicesTable(list(), tel?.store.latestSnapshots() ?? new Map(), readiness);

  // Readiness details every few seconds (what /readyz says), for the services table.
  const probe = setInterval(() => {
    for (const p of opts.processes.values()) {
      const info = p.info();
      if (info.state !== 'ready') {
        readiness.set(info.name, '');
        continue;
      }
      httpCall(`${info.url}/readyz`, { timeoutMs: 1500 })
        .then((r) => {
          const body = JSON.parse(r.text) as { checks?: Record<string, string> };
          readiness.set(info.name, Object.entries(body.checks ?? {}).map(([k, v]) => `${k}: ${v}`).join(', '));
        })
        .catch((error: unknown) => readiness.set(info.name, `no answer (${(error as Error).name})`));
    }
    tel?.collector.sample(list().map((i) => ({ name: i.name, pid: i.pid })));
  }, 3000);
  probe.unref();

  async function pspConfig(): Promise<{ latencyMs?: number; failureRate?: number } | undefined> {
    const url = opts.serviceUrls?.get('psp-sim');
    if (!url) return undefined;
    try {
      const r = await httpCall(`${url}/admin/config`, { timeoutMs: 1500 });
      return JSON.parse(r.text) as { latencyMs?: number; failureRate?: number };
    } catch {
      return undefined;
    }
  }

  async function consumers(): Promise<ConsumerRow[]> {
    if (!tel) return [];
    const spans = tel.store.spansSince(Date.now() - 24 * 3600_000).filter((s) => s.kind === 4);
    const rows = new Map<string, ConsumerRow>();
    for (const s of spans) {
      const consumer = String(s.attributes['messaging.consumer.group.name'] ?? s.service);
      const source = String(s.attributes['messaging.destination.name'] ?? '?');
      const key = `${consumer}<${source}`;
      const seq = Number(s.attributes['bazaar.event.sequence'] ?? 0);
      const row = rows.get(key) ?? { consumer, source, position: 0, lastAt: 0, lag: '–', failures: 0 };
      if (s.status === 2) row.failures += 1;
      else if (seq > row.position) {
        row.position = seq;
        row.lastAt = s.end;
      }
      rows.set(key, row);
    }
    await Promise.all(
      [...rows.values()].map(async (row) => {
        const url = opts.serviceUrls?.get(row.source);
        if (!url || !opts.operatorCredential) return;
        try {
          const r = await httpCall(`${url}/internal/events?after=${row.position}&limit=500`, { headers: { [SERVICE_CREDENTIAL_HEADER]: opts.operatorCredential(row.source) }, timeoutMs: 1500 });
          const body = JSON.parse(r.text) as { events?: unknown[] };
          if (Array.isArray(body.events)) row.lag = body.events.length === 500 ? '500+' : body.events.length;
        } catch {
          row.lag = 'producer unreachable';
        }
      }),
    );
    return [...rows.values()].sort((a, b) => a.consumer.localeCompare(b.consumer) || a.source.localeCompare(b.source));
  }

  function stream(req: IncomingMessage, res: ServerResponse, render: () => Record<string, string>): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const push = () => res.write(`data: ${JSON.stringify(render())}\n\n`);
    push();
    const timer = setInterval(push, STREAM_EVERY_MS);
    req.on('close', () => clearInterval(timer));
  }

  function logsStream(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): void {
    if (!tel) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const filter = logFilter(q);
    let last = tel.store.logs({ ...filter, limit: 1 })[0]?.id ?? 0;
    // Poll the store (filters run in SQL) when the collector says lines arrived.
    let due = false;
    const off = tel.collector.onLogs(() => (due = true));
    const timer = setInterval(() => {
      if (!due) return;
      due = false;
      const lines = tel.store.logs({ ...filter, afterId: last, limit: 200 });
      if (lines.length === 0) return;
      last = lines[0]?.id ?? last;
      res.write(`data: ${JSON.stringify({ lines: logLines(lines) })}\n\n`);
    }, 500);
    req.on('close', () => {
      off();
      clearInterval(timer);
    });
  }

  /** The dead letters for the Events page: undefined without NATS, the error when NATS does not answer. */
  async function deadLetterList(): Promise<{ where: string; letters: DeadLetter[] } | { error: string } | undefined> {
    const dl = opts.deadLetters;
    if (!dl) return undefined;
    try {
      return { where: dl.where, letters: await dl.list(DEAD_LETTERS_SHOWN) };
    } catch (error) {
      return { error: `NATS JetStream does not answer: ${(error as Error).message}` };
    }
  }

  const scaleView = () => scaleControls([...groups()].map(([name, procs]) => ({ name, slots: procs.length, running: active(procs).length, busy: scaling.has(name) || rolling.has(name) })));

  /**
   * Scale a service to `wanted` instances within the slots it was started
   * with (--scale): stop the last running ones (SIGTERM: they drain), or start
   * scaled-down ones again and wait until they are ready. Callers already
   * know every slot's address and pass over one that refuses connections.
   */
  async function scaleTo(procs: SupervisedProcess[], wanted: number): Promise<void> {
    const running = active(procs);
    if (wanted < running.length) {
      for (const p of running.slice(wanted).reverse()) {
        scaledDown.add(p.name);
        await p.stop();
      }
    } else {
      const back = procs.filter((p) => scaledDown.has(p.name)).slice(0, wanted - running.length);
      for (const p of back) {
        scaledDown.delete(p.name);
        p.start();
      }
      await Promise.all(back.map((p) => p.whenReady(opts.rolling?.readyTimeoutMs ?? 60_000)));
    }
  }

  const serviceNames = () => [...(opts.services?.keys() ?? opts.processes.keys())];

  const server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://launcher');
    const url = parsed.pathname;
    const q = parsed.searchParams;
    const query = Object.fromEntries(q) as Record<string, string | undefined>;
    const send: Send = (status, type, body) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' });
      res.end(body);
    };
    const html = (body: string) => send(200, 'text/html; charset=utf-8', body);
    const json = (value: unknown, status = 200) => send(status, 'application/json', JSON.stringify(value));

    // Every state-changing call: refused when a browser says another site sent it (csrf.ts).
    const forged = req.method !== 'GET' && req.method !== 'HEAD' ? crossSite(req) : undefined;
    if (forged) return problem(send, 403, 'Cross-site request refused', `The launcher takes control requests only from its own pages or from tools that are not browsers (${forged}).`);
    if (req.method === 'POST' && url === '/v1/traces') {
      if (!tel) return problem(send, 404, 'No collector', 'This launcher runs without its telemetry store.');
      return tel.collector.receiveTraces(req, res);
    }

    if (req.method === 'GET') {
      if (url === '/api/services') return json({ services: list() });
      if (url === '/') return html(overviewPage({ topology: topology(), services: services(), scale: scaleView(), serviceNames: serviceNames(), gatewayUrl: opts.gatewayUrl }));
      if (url === '/api/stream') return stream(req, res, () => ({ topology: topology(), services: services(), scale: scaleView(), chaos: chaosTable(list()) }));
      if (url === '/api/dead-letters') {
        if (!opts.deadLetters) return problem(send, 404, 'No dead letters here', NO_DEAD_LETTERS);
        void deadLetterList().then((r) => (!r || 'error' in r ? problem(send, 503, 'Dead letters unavailable', r?.error ?? NO_DEAD_LETTERS) : json({ stream: r.where, deadLetters: r.letters })));
        return;
      }
      if (url === '/api/topology') return json({ windowMs: TOPOLOGY_WINDOW_MS, nodes: nodes(), edges: edges() });
      if (url === '/chaos') {
        void pspConfig().then((psp) => html(chaosPage(list(), psp)));
        return;
      }
      if (tel) {
        const search = {
          ...(query.service ? { service: query.service } : {}),
          ...(query.route ? { route: query.route } : {}),
          ...(query.status === 'ok' || query.status === 'error' ? { status: query.status as 'ok' | 'error' } : {}),
          ...(query.minMs && Number.isFinite(Number(query.minMs)) ? { minMs: Number(query.minMs) } : {}),
          ...(query.orderId ? { orderId: query.orderId.trim() } : {}),
          ...(query.traceId ? { traceId: query.traceId.trim() } : {}),
        };
        if (url === '/traces') return html(tracesPage({ query, services: serviceNames(), results: tel.store.searchTraces(search) }));
        if (url === '/api/traces') return json({ traces: tel.store.searchTraces(search) });
        const traceMatch = /^\/(api\/)?traces\/([0-9a-f]{32})$/.exec(url);
        if (traceMatch) {
          const traceId = traceMatch[2] as string;
          const spans = tel.store.trace(traceId);
          if (traceMatch[1]) return spans.length ? json({ traceId, spans }) : problem(send, 404, 'No such trace', `No span of trace ${traceId} is stored.`);
          return html(tracePage(traceId, spans, tel.store.logs({ traceId, limit: 500 }).reverse(), query.queries === '1'));
        }
        const orderMatch = /^\/(api\/)?orders(?:\/([A-Za-z0-9-]{1,64}))?$/.exec(url);
        if (orderMatch) {
          const orderId = orderMatch[2] ?? query.orderId?.trim();
          const spans = orderId ? tel.store.orderSpans(orderId) : [];
          if (orderMatch[1]) return json({ orderId, spans });
          const traceIds = [...new Set(spans.map((s) => s.traceId))];
          const logs = traceIds.flatMap((t) => tel.store.logs({ traceId: t, limit: 500 })).reverse();
          return html(orderPage(orderId || undefined, spans, logs));
        }
        if (url === '/logs') return html(logsPage({ query, services: serviceNames(), lines: tel.store.logs({ ...logFilter(q), limit: 300 }) }));
        if (url === '/api/logs') return json({ lines: tel.store.logs({ ...logFilter(q), limit: Math.min(1000, Number(query.limit) || 200) }) });
        if (url === '/api/logs/stream') return logsStream(req, res, q);
        if (url === '/events') {
          void Promise.all([consumers(), deadLetterList()]).then(([rows, letters]) => html(eventsPage(rows, deadLettersSection(letters))));
          return;
        }
      }
    }

    if (req.method === 'POST' && url === '/api/chaos/psp') {
      const pspUrl = opts.serviceUrls?.get('psp-sim');
      if (!pspUrl) return problem(send, 404, 'No card network', 'psp-sim is not part of this system.');
      readJson(req)
        .then(async (body) => {
          const b = body as { latencyMs?: unknown; failureRate?: unknown };
          const current = (await pspConfig()) ?? {};
          const next = { latencyMs: Number(b.latencyMs ?? current.latencyMs ?? 0), failureRate: Number(b.failureRate ?? current.failureRate ?? 0) };
          const r = await httpCall(`${pspUrl}/admin/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(next), timeoutMs: 3000 });
          send(r.status, r.contentType ?? 'application/json', r.text);
        })
        .catch((error: unknown) => problem(send, 400, 'Cannot change the card network', String((error as Error).message)));
      return;
    }
    const replay = REPLAY.exec(url);
    if (req.method === 'POST' && replay) {
      if (!opts.deadLetters) return problem(send, 404, 'No dead letters here', NO_DEAD_LETTERS);
      opts.deadLetters.replay(Number(replay[1])).then(
        (letter) => json({ replayed: { seq: letter.seq, eventId: letter.eventId, type: letter.type, consumer: letter.consumer, source: letter.source } }),
        (error: unknown) => {
          const message = String((error as Error).message);
          if (/^no dead letter/.test(message)) problem(send, 404, 'No such dead letter', `${message}; it may have been replayed already.`);
          else problem(send, 503, 'Replay failed', message);
        },
      );
      return;
    }
    const scale = SCALE.exec(url);
    if (req.method === 'POST' && scale) {
      const service = scale[1] as string;
      const procs = groups().get(service);
      if (!procs) return problem(send, 404, 'No such service', `Known: ${[...groups().keys()].join(', ')}`);
      readJson(req)
        .then(async (body) => {
          const wanted = (body as { instances?: unknown }).instances;
          if (typeof wanted !== 'number' || !Number.isInteger(wanted) || wanted < 1 || wanted > procs.length) {
            const why = procs.length === 1 ? `${service} was started with one instance (npm start -- --scale ${service}=<n> gives it more slots, where the service allows)` : `${service} has ${procs.length} instance slots (--scale)`;
            return problem(send, 400, 'Cannot scale to that', `"instances" must be a whole number from 1 to ${procs.length}: ${why}.`);
          }
          if (scaling.has(service) || rolling.has(service)) return problem(send, 409, 'Busy', `${service} is being scaled or rolled; try again when that is done.`);
          scaling.add(service);
          try {
            await scaleTo(procs, wanted);
            json({ service, instances: active(procs).length, slots: procs.length, states: procs.map((p) => p.info()) });
          } finally {
            scaling.delete(service);
          }
        })
        .catch((error: unknown) => problem(send, error instanceof SyntaxError ? 400 : 500, 'Scaling failed', String((error as Error).message)));
      return;
    }
    const roll = ROLLING.exec(url);
    if (req.method === 'POST' && roll) {
      const service = roll[1] as string;
      const all = opts.services?.get(service) ?? (opts.processes.has(service) ? [opts.processes.get(service) as SupervisedProcess] : undefined);
      if (!all) return problem(send, 404, 'No such service', `Known: ${[...(opts.services ?? opts.processes).keys()].join(', ')}`);
      if (rolling.has(service)) return problem(send, 409, 'Already rolling', `A rolling restart of ${service} is in progress.`);
      if (scaling.has(service)) return problem(send, 409, 'Busy', `${service} is being scaled; try again when that is done.`);
      // The instances scaled down stay down.
      const instances = active(all);
      rolling.add(service);
      rollingRestart(instances, opts.rolling ?? { readyTimeoutMs: 60_000, settleMs: 2500 })
        .then(
          (steps) => json({ service, steps, instances: instances.map((p) => p.info()) }),
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
      if (!proc) return problem(send, 404, 'No such service', `Known: ${[...opts.processes.keys()].join(', ')}`);
      const action = match[2] as 'start' | 'stop' | 'restart' | 'freeze' | 'thaw' | 'kill';
      const run = (): Promise<void> | void => {
        switch (action) {
          case 'start':
            scaledDown.delete(proc.name);
            return proc.start();
          case 'stop':
            return proc.stop();
          case 'restart':
            return proc.restart();
          case 'freeze':
            return proc.freeze();
          case 'thaw':
            return proc.thaw();
          case 'kill':
            return proc.kill();
        }
      };
      Promise.resolve(run()).then(
        () => send(202, 'application/json', JSON.stringify(proc.info())),
        (error: unknown) => problem(send, 500, 'Action failed', String(error)),
      );
      return;
    }
    problem(send, 404, 'Not found', `Try GET / or GET /api/services (${esc(req.method)} ${esc(url)})`);
  });
  server.on('close', () => clearInterval(probe));
  return server;
}

function logFilter(q: URLSearchParams): { service?: string; level?: string; text?: string; traceId?: string } {
  const traceId = q.get('traceId')?.trim().toLowerCase();
  return {
    ...(q.get('service') ? { service: q.get('service') as string } : {}),
    ...(q.get('level') ? { level: q.get('level') as string } : {}),
    ...(q.get('text') ? { text: q.get('text') as string } : {}),
    ...(traceId && TRACE_ID.test(traceId) ? { traceId } : {}),
  };
}
