/** The dashboard's pages and the fragments its live updates replace (server-rendered HTML). */
import type { ProcessInfo } from '../supervisor.ts';
import type { DeadLetter } from '../dead-letters.ts';
import type { ProcessSnapshot, StoredLog, StoredSpan, TraceSummary } from '../telemetry/store.ts';
import { clock, esc, layout, ms } from './layout.ts';

const KIND = ['internal', 'server', 'client', 'producer', 'consumer'];
const COLORS = ['#3b5bdb', '#2b8a3e', '#e8590c', '#862e9c', '#0b7285', '#c2255c', '#5c940d', '#d9480f', '#1864ab', '#a61e4d', '#087f5b', '#495057'];

/** A stable color per service name. */
function colorOf(service: string): string {
  let h = 0;
  for (const c of service) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length] as string;
}

function uptime(startedAt: string | undefined, state: string): string {
  if (!startedAt || state === 'stopped' || state === 'failed') return '–';
  const s = Math.round((Date.now() - Date.parse(startedAt)) / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** The services table (instances, state, resources, actions). */
export function servicesTable(services: ProcessInfo[], snapshots: Map<string, ProcessSnapshot>, readiness: Map<string, string>): string {
  const rows = services.map((s) => {
    const snap = snapshots.get(s.name);
    const act = (action: string, label: string, confirm: string, cls = '') =>
      `<button class="${cls}" data-action="/api/services/${esc(s.name)}/${action}" data-confirm="${esc(confirm)}" data-done="${esc(`${label}: ${s.name}`)}">${label}</button>`;
    const actions = [
      s.state === 'stopped' || s.state === 'failed' ? act('start', 'Start', '') : act('stop', 'Stop', `Stop ${s.name}? Calls to it fail until it is started again.`, 'danger'),
      act('restart', 'Restart', `Restart ${s.name}?`),
    ].join(' ');
    return `<tr data-instance="${esc(s.name)}"><td><strong>${esc(s.name)}</strong><div class="muted mono">${esc(s.url)}</div></td>
<td><span class="pill ${esc(s.state)}">${esc(s.state)}</span></td><td class="num">${s.pid ?? '–'}</td><td class="num">${s.restarts}</td><td class="num">${uptime(s.startedAt, s.state)}</td>
<td class="num">${snap ? `${Math.round(snap.rssBytes / 1048576)} MiB` : '–'}</td><td class="num">${snap ? `${snap.cpuPercent.toFixed(1)} %` : '–'}</td>
<td class="muted" style="max-width:14rem">${esc(readiness.get(s.name) ?? '')}</td><td style="white-space:nowrap">${actions}</td></tr>`;
  });
  return `<table><thead><tr><th>instance</th><th>state</th><th class="num">pid</th><th class="num">restarts</th><th class="num">uptime</th><th class="num">RSS</th><th class="num">CPU</th><th>readiness</th><th></th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

/** Scale controls (also sent by live updates): services with more than one instance slot, − and + one instance each. */
export function scaleControls(services: { name: string; slots: number; running: number; busy: boolean }[]): string {
  const scalable = services.filter((s) => s.slots > 1);
  if (scalable.length === 0) return '<p class="muted">Scale: every service runs one instance (<span class="mono">npm start -- --scale payments=3</span> gives a service instance slots to scale within).</p>';
  const button = (s: { name: string }, to: number, label: string, text: string, disabled: boolean) =>
    `<button aria-label="${esc(label)}" data-action="/api/services/${esc(s.name)}/scale" data-body="${esc(JSON.stringify({ instances: to }))}" data-confirm="${esc(`${label}?`)}" data-done="${esc(`${s.name}: ${to} instance${to === 1 ? '' : 's'}`)}"${disabled ? ' disabled' : ''}>${text}</button>`;
  const items = scalable
    .map((s) => {
      const label = `${s.running} of ${s.slots} running`;
      return `<span class="scale" data-scale="${esc(s.name)}" data-running="${s.running}" style="white-space:nowrap;margin-right:1rem"><strong>${esc(s.name)}</strong> ${button(s, s.running - 1, `Scale ${s.name} down to ${s.running - 1} instance${s.running - 1 === 1 ? '' : 's'} (the last one drains and stops)`, '−', s.busy || s.running <= 1)} <span class="mono">${esc(label)}</span> ${button(s, s.running + 1, `Scale ${s.name} up to ${s.running + 1} instances`, '+', s.busy || s.running >= s.slots)}</span>`;
    })
    .join(' ');
  return `<p class="muted">Scale (within the instance slots given by --scale): ${items}</p>`;
}

/** The overview: topology and services, both updated live. */
export function overviewPage(opts: { topology: string; services: string; scale: string; serviceNames: string[]; gatewayUrl: string }): string {
  const rolling = opts.serviceNames
    .map((n) => `<button data-action="/api/services/${esc(n)}/rolling-restart" data-confirm="${esc(`Restart every instance of ${n}, one at a time?`)}" data-done="${esc(`${n}: every instance restarted`)}">${esc(n)}</button>`)
    .join(' ');
  return layout({
    title: 'Overview',
    path: '/',
    stream: '/api/stream',
    body: `<h1>Overview</h1>
<div class="card topology"><h2 style="margin-top:0">Topology <span class="muted" style="font-weight:400;font-size:.85rem">calls (solid) and events (dashed) over the last minute · live</span></h2><div data-live="topology">${opts.topology}</div></div>
<div class="card"><h2 style="margin-top:0">Services and instances</h2><div data-live="services">${opts.services}</div>
<div data-live="scale">${opts.scale}</div>
<p class="muted">Rolling restart (every instance, one at a time): ${rolling}</p>
<p class="muted">Shop API: <a href="${esc(opts.gatewayUrl)}/api/catalog/products">${esc(opts.gatewayUrl)}</a> · process table as JSON: <a href="/api/services">/api/services</a></p></div>`,
  });
}

function selectOf(name: string, values: string[], current: string | undefined, any = 'any'): string {
  return `<select name="${name}"><option value="">${any}</option>${values.map((v) => `<option${v === current ? ' selected' : ''}>${esc(v)}</option>`).join('')}</select>`;
}

/** The trace search. */
export function tracesPage(opts: { query: Record<string, string | undefined>; services: string[]; results: TraceSummary[] }): string {
  const q = opts.query;
  const rows = opts.results
    .map(
      (t) => `<tr data-trace="${esc(t.traceId)}"><td class="mono"><a href="/traces/${esc(t.traceId)}">${esc(t.traceId.slice(0, 12))}…</a></td><td>${clock(t.start)}</td>
<td><strong>${esc(t.root)}</strong> <span class="muted">${esc(t.rootService)}</span></td><td class="num">${ms(t.durationMs)}</td><td class="num">${t.spans}</td>
<td>${t.services.map((s) => `<span class="pill" style="background:none;color:${colorOf(s)}">${esc(s)}</span>`).join(' ')}</td>
<td>${t.errors > 0 ? `<span class="pill error">${t.errors} error${t.errors === 1 ? '' : 's'}</span>` : '<span class="pill ok">ok</span>'}</td>
<td>${t.orderId ? `<a class="mono" href="/orders/${esc(t.orderId)}">${esc(t.orderId.slice(0, 8))}…</a>` : ''}</td></tr>`,
    )
    .join('\n');
  return layout({
    title: 'Traces',
    path: '/traces',
    body: `<h1>Traces</h1><div class="card"><form class="search" method="get" action="/traces">
<label>service ${selectOf('service', opts.services, q.service)}</label><label>route <input name="route" value="${esc(q.route ?? '')}" placeholder="/api/checkout"></label>
<label>status ${selectOf('status', ['ok', 'error'], q.status)}</label><label>min duration (ms) <input name="minMs" type="number" min="0" value="${esc(q.minMs ?? '')}"></label>
<label>order id <input name="orderId" value="${esc(q.orderId ?? '')}"></label><label>trace id <input name="traceId" value="${esc(q.traceId ?? '')}"></label>
<button class="primary">Search</button></form></div>
<div class="card"><table><thead><tr><th>trace</th><th>started</th><th>root</th><th class="num">duration</th><th class="num">spans</th><th>services</th><th>status</th><th>order</th></tr></thead>
<tbody>${rows || '<tr><td colspan="8" class="muted">No trace matches.</td></tr>'}</tbody></table></div>`,
  });
}

/** Spans in tree order (parents before children), with depth. */
function treeOrder(spans: StoredSpan[]): { span: StoredSpan; depth: number }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId)) children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
    else roots.push(s);
  }
  const out: { span: StoredSpan; depth: number }[] = [];
  const walk = (s: StoredSpan, depth: number) => {
    out.push({ span: s, depth });
    for (const c of (children.get(s.spanId) ?? []).sort((a, b) => a.start - b.start)) walk(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.start - b.start)) walk(r, 0);
  return out;
}

/** A waterfall of spans; database queries only when asked for (a checkout makes dozens). */
export function waterfall(all: StoredSpan[], opts: { queries?: boolean; toggleHref?: string } = {}): string {
  if (all.length === 0) return '<p class="muted">No spans.</p>';
  const spans = opts.queries ? all : all.filter((s) => s.attributes['db.system.name'] === undefined);
  const hidden = all.length - spans.length;
  const toggle = opts.toggleHref
    ? `<p class="muted" style="margin-top:0">${opts.queries ? `Database queries shown. <a href="${esc(opts.toggleHref)}">Hide them</a>` : hidden > 0 ? `${hidden} database queries hidden. <a href="${esc(opts.toggleHref)}?queries=1">Show them</a>` : ''}</p>`
    : '';
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...spans.map((s) => s.end));
  const total = Math.max(t1 - t0, 0.001);
  return `${toggle}<div class="waterfall">${treeOrder(spans)
    .map(({ span: s, depth }) => {
      const left = ((s.start - t0) / total) * 100;
      const width = Math.max((s.durationMs / total) * 100, 0.3);
      const attrs = Object.entries(s.attributes).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n');
      return `<div class="row" data-span="${esc(s.spanId)}" data-service="${esc(s.service)}" data-parent="${esc(s.parentSpanId ?? '')}" title="${esc(`${KIND[s.kind] ?? s.kind} · ${s.instance ?? s.service}\n${attrs}`)}">
<div class="name" style="padding-left:${depth * 14}px"><span class="svc" style="color:${colorOf(s.service)}">${esc(s.service)}</span>${s.status === 2 ? '<span class="pill error">error</span> ' : ''}${esc(s.name)}</div>
<div class="bar"><span style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%;background:${s.status === 2 ? '#c92a2a' : colorOf(s.service)}"></span></div><div class="muted" style="text-align:right">${ms(s.durationMs)}</div></div>`;
    })
    .join('\n')}</div>`;
}

const STANDARD_FIELDS = new Set(['level', 'time', 'service', 'pid', 'msg', 'trace_id', 'span_id', 'traceId', 'requestId', 'migrations', 'location', 'address']);

/** The fields of a JSON log line beyond the standard ones, as short key=value text. */
function extraFields(line: string): string {
  if (!line.startsWith('{')) return line.length > 300 ? `${line.slice(0, 300)}…` : line;
  try {
    const fields = Object.entries(JSON.parse(line) as Record<string, unknown>).filter(([k]) => !STANDARD_FIELDS.has(k));
    const text = fields.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return line.slice(0, 300);
  }
}

/** Log lines as rows: time, instance, level, message, the line's other fields (the whole line on hover). */
export function logLines(lines: StoredLog[]): string {
  return lines
    .map((l) => `<div class="${esc(l.level)}" data-trace="${esc(l.traceId ?? '')}" title="${esc(l.line)}"><span class="muted">${clock(l.time)}</span> <strong style="color:${colorOf(l.service)}">${esc(l.instance)}</strong> ${esc(l.level)} <strong>${esc(l.msg)}</strong> <span class="muted">${esc(extraFields(l.line))}</span>${l.traceId ? ` <a href="/traces/${esc(l.traceId)}">trace</a>` : ''}</div>`)
    .join('');
}

/** One trace: its waterfall, with its log lines beside it. */
export function tracePage(traceId: string, spans: StoredSpan[], logs: StoredLog[], queries = false): string {
  const services = [...new Set(spans.map((s) => s.service))].sort();
  const orderId = spans.find((s) => s.orderId)?.orderId;
  return layout({
    title: `Trace ${traceId.slice(0, 8)}`,
    path: '/traces',
    body: `<h1>Trace <span class="mono">${esc(traceId)}</span></h1>
<p class="muted">${spans.length} spans across ${services.length} services: ${services.map((s) => `<span style="color:${colorOf(s)};font-weight:600">${esc(s)}</span>`).join(', ')}${orderId ? ` · order <a class="mono" href="/orders/${esc(orderId)}">${esc(orderId)}</a>` : ''}</p>
<div class="grid"><div class="card">${waterfall(spans, { queries, toggleHref: `/traces/${traceId}` })}</div><div class="card"><h2 style="margin-top:0">Logs of this trace</h2><div class="logs">${logLines(logs) || '<p class="muted">No log lines carry this trace id.</p>'}</div></div></div>`,
  });
}

/** The checkout's story: its saga timeline, the events it caused, the email. */
export function orderPage(orderId: string | undefined, spans: StoredSpan[], logs: StoredLog[]): string {
  const form = `<form class="search" method="get" action="/orders"><label>order id <input name="orderId" value="${esc(orderId ?? '')}" size="40"></label><button class="primary">Show</button></form>`;
  if (!orderId) return layout({ title: 'Checkout story', path: '/orders', body: `<h1>A checkout's story</h1><div class="card">${form}</div>` });
  if (spans.length === 0) return layout({ title: 'Checkout story', path: '/orders', body: `<h1>A checkout's story</h1><div class="card">${form}</div><div class="card muted">No trace mentions order ${esc(orderId)} (yet, or any more: spans are kept for the retention period).</div>` });
  const byParent = new Map<string, StoredSpan[]>();
  for (const s of spans) if (s.parentSpanId) byParent.set(s.parentSpanId, [...(byParent.get(s.parentSpanId) ?? []), s]);
  const descendants = (s: StoredSpan): StoredSpan[] => (byParent.get(s.spanId) ?? []).flatMap((c) => [c, ...descendants(c)]);
  const steps = spans.filter((s) => s.orderId === orderId && s.name.startsWith('saga ')).sort((a, b) => a.start - b.start);
  const t0 = Math.min(...spans.map((s) => s.start));
  const timeline = steps
    .map((s) => {
      const outcome = String(s.attributes['bazaar.saga.outcome'] ?? '');
      const calls = descendants(s).filter((c) => c.kind === 2 && c.attributes['peer.service']);
      const cls = s.status === 2 ? 'error' : outcome.startsWith('compensat') || outcome === 'cancel' ? 'compensate' : '';
      const next = s.attributes['bazaar.saga.next'] ? ` → ${esc(s.attributes['bazaar.saga.next'])}` : '';
      const reason = s.attributes['bazaar.saga.reason'] ? ` <span class="muted">(${esc(s.attributes['bazaar.saga.reason'])})</span>` : '';
      return `<li class="${cls}" data-step="${esc(s.attributes['bazaar.saga.step'])}"><strong>${esc(s.attributes['bazaar.saga.step'])}</strong> <span class="pill ${s.status === 2 ? 'error' : 'ok'}">${esc(outcome)}</span>${next}${reason}
<div class="muted">+${ms(s.start - t0)} · took ${ms(s.durationMs)} · attempt ${esc(s.attributes['bazaar.saga.attempt'])}${s.statusMessage ? ` · ${esc(s.statusMessage)}` : ''}</div>
<div>${calls.map((c) => `<span class="pill" style="background:none;color:${colorOf(String(c.attributes['peer.service']))}">${esc(c.name)} ${c.attributes['http.response.status_code'] ?? ''} · ${ms(c.durationMs)}</span>`).join(' ')}</div></li>`;
    })
    .join('\n');
  const events = spans.filter((s) => s.kind === 3 || s.kind === 4).sort((a, b) => a.start - b.start);
  const eventRows = events
    .map((s) => `<tr><td>${clock(s.start)}</td><td>${s.kind === 3 ? 'published' : 'handled'}</td><td class="mono">${esc(s.attributes['cloudevents.event_type'])}</td><td style="color:${colorOf(s.service)};font-weight:600">${esc(s.service)}</td><td class="num">${ms(s.durationMs)}</td><td>${s.status === 2 ? '<span class="pill error">failed</span>' : ''}</td></tr>`)
    .join('\n');
  const mail = spans.filter((s) => s.name.startsWith('smtp '));
  const mailLogs = logs.filter((l) => l.service === 'notifications' && /email/.test(l.msg));
  const traces = [...new Set(spans.map((s) => s.traceId))];
  return layout({
    title: `Order ${orderId.slice(0, 8)}`,
    path: '/orders',
    body: `<h1>A checkout's story</h1><div class="card">${form}</div>
<p class="muted">Order <span class="mono">${esc(orderId)}</span> · trace ${traces.map((t) => `<a class="mono" href="/traces/${esc(t)}">${esc(t.slice(0, 12))}…</a>`).join(', ')}</p>
<div class="grid"><div class="card"><h2 style="margin-top:0">Saga timeline</h2><ol class="timeline" id="saga">${timeline || '<li class="muted">No saga step recorded.</li>'}</ol></div>
<div class="card"><h2 style="margin-top:0">Email</h2>${mail.map((m) => `<p><span class="pill ${m.status === 2 ? 'error' : 'ok'}">${m.status === 2 ? 'not sent' : 'sent'}</span> ${esc(m.attributes['bazaar.email.kind'] ?? m.name)} · ${clock(m.start)} · took ${ms(m.durationMs)} · attempt ${esc(m.attributes['bazaar.email.attempt'] ?? 1)}${m.status === 2 && m.statusMessage ? ` · ${esc(m.statusMessage)}` : ''}</p>`).join('') || '<p class="muted">No email sent in this trace yet.</p>'}
${mail.length ? '<p class="muted">Traces keep no recipient (personal data stays out of telemetry); the mail itself is in the mail sink.</p>' : ''}
${mailLogs.map((l) => `<div class="mono muted">${clock(l.time)} ${esc(l.msg)}</div>`).join('')}</div></div>
<div class="card"><h2 style="margin-top:0">Events it caused</h2><table><thead><tr><th>time</th><th></th><th>type</th><th>service</th><th class="num">took</th><th></th></tr></thead><tbody>${eventRows || '<tr><td colspan="6" class="muted">None yet.</td></tr>'}</tbody></table></div>
<div class="card"><h2 style="margin-top:0">Every span</h2>${waterfall(spans, { toggleHref: `/traces/${traces[0] ?? ''}` })}</div>`,
  });
}

/** Logs of every service, filtered, following live. */
export function logsPage(opts: { query: Record<string, string | undefined>; services: string[]; lines: StoredLog[] }): string {
  const q = opts.query;
  const params = new URLSearchParams(Object.entries(q).filter(([, v]) => v) as [string, string][]).toString();
  return layout({
    title: 'Logs',
    path: '/logs',
    stream: `/api/logs/stream?${params}`,
    body: `<h1>Logs</h1><div class="card"><form class="search" method="get" action="/logs">
<label>service ${selectOf('service', opts.services, q.service)}</label><label>level ${selectOf('level', ['debug', 'info', 'warn', 'error'], q.level)}</label>
<label>text <input name="text" value="${esc(q.text ?? '')}"></label><label>trace id <input name="traceId" value="${esc(q.traceId ?? '')}"></label><button class="primary">Filter</button></form>
<p class="muted">Newest first; new lines appear as they are written.</p></div><div class="card logs" data-live="lines" data-append>${logLines(opts.lines)}</div>`,
  });
}

export interface ConsumerRow {
  consumer: string;
  source: string;
  position: number;
  lastAt: number;
  lag: number | string;
  failures: number;
}

/** Consumers' positions and lag. */
export function eventsPage(rows: ConsumerRow[], deadLetters: string): string {
  const body = rows
    .map((r) => `<tr><td><strong>${esc(r.consumer)}</strong></td><td>${esc(r.source)}</td><td class="num">${r.position}</td><td class="num">${typeof r.lag === 'number' && r.lag > 0 ? `<span class="pill warn">${r.lag}</span>` : esc(r.lag)}</td><td>${clock(r.lastAt)}</td><td class="num">${r.failures}</td></tr>`)
    .join('\n');
  return layout({
    title: 'Events',
    path: '/events',
    body: `<h1>Events</h1><div class="card"><h2 style="margin-top:0">Consumers</h2><table><thead><tr><th>consumer</th><th>source</th><th class="num">position</th><th class="num">lag</th><th>last handled</th><th class="num">failed handlings</th></tr></thead>
<tbody>${body || '<tr><td colspan="6" class="muted">No event handled in the retention period.</td></tr>'}</tbody></table>
<p class="muted">Position: the last sequence handled (from consumer spans). Lag: events in the producer's outbox after it.</p></div>${deadLetters}`,
  });
}

/**
 * The dead letters, per consumer, each with a Replay button (it goes back to
 * that consumer only); `undefined` without NATS, `error` when NATS does not answer.
 */
export function deadLettersSection(state: { where: string; letters: DeadLetter[] } | { error: string } | undefined): string {
  const card = (inner: string) => `<div class="card" id="dead-letters"><h2 style="margin-top:0">Dead letters</h2>${inner}</div>`;
  if (!state) {
    return card('<p class="muted">None on the embedded feed: an event whose handling fails stays at the head of its consumer\'s line and is retried (see failed handlings and lag above). Dead letters, with replay, exist on NATS JetStream (<span class="mono">npm run start:infra</span>).</p>');
  }
  if ('error' in state) return card(`<p class="flash error">${esc(state.error)}</p>`);
  if (state.letters.length === 0) return card(`<p class="muted">None: no consumer has given up on an event (stream <span class="mono">${esc(state.where)}</span>).</p>`);
  const groups = new Map<string, DeadLetter[]>();
  for (const l of state.letters) {
    const key = `${l.consumer}\u0000${l.source}`;
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  const tables = [...groups.values()]
    .map((letters) => {
      const { consumer, source } = letters[0] as DeadLetter;
      const rows = letters
        .map(
          (l) => `<tr data-dead-letter="${l.seq}"><td class="num">${l.seq}</td><td>${esc(l.type)}<div class="muted mono">${esc(l.eventId)}</div></td><td class="num">${l.deliveries}</td><td style="max-width:26rem">${esc(l.error)}</td><td>${esc(l.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</td>
<td><button data-action="/api/dead-letters/${l.seq}/replay" data-confirm="${esc(`Replay ${l.type} (${l.eventId}) to ${consumer}? Only ${consumer} gets it again; fix the cause first, or it comes back as a new dead letter.`)}" data-done="${esc(`Dead letter ${l.seq} replayed to ${consumer}`)}" data-remove="tr">Replay</button></td></tr>`,
        )
        .join('\n');
      return `<h3 data-consumer="${esc(consumer)}">${esc(consumer)} <span class="muted" style="font-weight:400">← ${esc(source)} · ${letters.length} dead letter${letters.length === 1 ? '' : 's'}</span></h3>
<table><thead><tr><th class="num">#</th><th>event</th><th class="num">deliveries</th><th>last error</th><th>dead-lettered at</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
    })
    .join('\n');
  return card(`${tables}<p class="muted">Stream <span class="mono">${esc(state.where)}</span>. Replay sends the event back to the consumer that gave up on it, and to no other; its inbox drops it if it was handled meanwhile. Same as <span class="mono">npm run dead-letters -- replay &lt;#&gt;</span>.</p>`);
}

/** Chaos controls. */
export function chaosPage(services: ProcessInfo[], psp: { latencyMs?: number; failureRate?: number } | undefined): string {
  return layout({
    title: 'Chaos',
    path: '/chaos',
    stream: '/api/stream',
    body: `<h1>Chaos controls</h1><div class="grid"><div class="card"><h2 style="margin-top:0">Freeze or kill a service</h2><div data-live="chaos">${chaosTable(services)}</div></div>
<div class="card"><h2 style="margin-top:0">The card network (psp-sim)</h2>
<form data-json action="/api/chaos/psp" data-confirm="Change how the card network behaves for every payment?" data-done="Card network updated" class="search">
<label>latency (ms) <input name="latencyMs" type="number" min="0" max="60000" value="${psp?.latencyMs ?? 0}"></label>
<label>error rate (0–1) <input name="failureRate" type="number" min="0" max="1" step="0.05" value="${psp?.failureRate ?? 0}"></label><button class="primary">Apply</button></form>
<p class="muted">Then watch the topology: payments → psp-sim turns red, orders retries and compensates, the rest stays green.</p></div></div>`,
  });
}

/** The freeze/kill table (also sent by live updates). */
export function chaosTable(services: ProcessInfo[]): string {
  const rows = services
    .map((s) => {
      const frozen = s.state === 'frozen';
      return `<tr data-instance="${esc(s.name)}"><td><strong>${esc(s.name)}</strong></td><td><span class="pill ${esc(s.state)}">${esc(s.state)}</span></td><td style="white-space:nowrap">
${frozen ? `<button data-action="/api/services/${esc(s.name)}/thaw" data-done="${esc(`${s.name} runs again`)}">Thaw</button>` : `<button class="danger" data-action="/api/services/${esc(s.name)}/freeze" data-confirm="${esc(`Freeze ${s.name}? It keeps its port but answers nothing (SIGSTOP) until thawed.`)}" data-done="${esc(`${s.name} frozen`)}">Freeze</button>`}
<button class="danger" data-action="/api/services/${esc(s.name)}/kill" data-confirm="${esc(`Kill ${s.name} (SIGKILL)? The launcher restarts it, as after a crash.`)}" data-done="${esc(`${s.name} killed`)}">Kill</button></td></tr>`;
    })
    .join('\n');
  return `<table><thead><tr><th>instance</th><th>state</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}
