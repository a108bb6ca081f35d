/** The dashboard's page frame: navigation, one stylesheet, and the small script every page shares. */

/** HTML-escape text for element content and attribute values. */
export function esc(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Milliseconds, shortly: 0.42 ms, 12 ms, 1.3 s. */
export function ms(value: number): string {
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(1)} s`;
}

/** A wall-clock time, HH:MM:SS.mmm. */
export function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 23);
}

const NAV = [
  ['/', 'Overview'],
  ['/traces', 'Traces'],
  ['/orders', 'Checkout story'],
  ['/events', 'Events'],
  ['/logs', 'Logs'],
  ['/chaos', 'Chaos'],
] as const;

const CSS = `
:root{--ink:#1d2433;--muted:#6b7385;--line:#e4e7ee;--bg:#f6f7fb;--card:#fff;--accent:#3b5bdb;--ok:#2b8a3e;--warn:#e8590c;--bad:#c92a2a;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg)}
header{display:flex;align-items:center;gap:2rem;padding:.7rem 1.5rem;background:#1d2433;color:#fff}
header .brand{font-weight:700;letter-spacing:.02em}header .brand small{font-weight:400;color:#aab3c5;margin-left:.4rem}
header nav a{color:#cfd6e6;text-decoration:none;margin-right:1.1rem;padding:.2rem 0}header nav a.active,header nav a:hover{color:#fff;border-bottom:2px solid #748ffc}
main{padding:1.2rem 1.5rem;max-width:1400px;margin:0 auto}h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.2rem 0 .6rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.1rem;margin-bottom:1rem}
.grid{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem}@media(max-width:1000px){.grid{grid-template-columns:1fr}}
table{border-collapse:collapse;width:100%}th,td{padding:.4rem .55rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}th{font-weight:600;color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.04em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}code,.mono{font-family:var(--mono);font-size:.86em}
a{color:var(--accent)}.muted{color:var(--muted)}
.pill{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.78rem;font-weight:600;background:#edf2ff;color:#364fc7}
.pill.ready,.pill.ok{background:#ebfbee;color:var(--ok)}.pill.frozen,.pill.crashed,.pill.stopped,.pill.failed,.pill.error{background:#fff5f5;color:var(--bad)}
.pill.starting,.pill.restarting,.pill.stopping,.pill.warn{background:#fff4e6;color:var(--warn)}
button,.button{font:inherit;border:1px solid var(--line);background:#fff;border-radius:7px;padding:.25rem .6rem;cursor:pointer;color:var(--ink)}
button:hover{border-color:#b6bfd3}button.danger{color:var(--bad);border-color:#ffc9c9}button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
form.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}form.search label{display:flex;flex-direction:column;font-size:.78rem;color:var(--muted);gap:.15rem}
input,select{font:inherit;padding:.3rem .45rem;border:1px solid #cdd3df;border-radius:6px;background:#fff;min-width:9rem}
.topology svg{width:100%;max-width:1040px;height:auto;display:block;margin:0 auto}.topology .node rect{fill:#fff;stroke:var(--ok);stroke-width:2}.topology .node.down rect{fill:#fff5f5;stroke:var(--bad);stroke-width:3}
.topology .node.degraded rect{stroke:var(--warn)}.topology .node text{font-size:13px;font-weight:600;fill:var(--ink)}.topology .node .sub{font-size:10.5px;font-weight:400;fill:var(--muted)}
.topology .edge path{fill:none;stroke:#94d3a2;stroke-width:2}.topology .edge.event path{stroke-dasharray:5 4;stroke:#a5b4fc}.topology .edge.error path{stroke:var(--bad)}.topology .edge.idle path{stroke:#dde1ea}
.topology .edge text{font-size:10px;fill:#4a5163;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}.topology .edge.error text{fill:var(--bad);font-weight:600}
.waterfall{font-size:13px}.waterfall .row{display:grid;grid-template-columns:minmax(20rem,5fr) 4fr 4.5rem;gap:.5rem;align-items:center;padding:.18rem 0;border-bottom:1px solid #f0f2f6;cursor:pointer}
.waterfall .row:hover{background:#f8f9fc}.waterfall .bar{position:relative;height:12px;background:#f1f3f9;border-radius:3px}.waterfall .bar span{position:absolute;top:0;height:12px;border-radius:3px;min-width:2px}
.waterfall .name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.waterfall .svc{display:inline-block;min-width:6rem;font-size:.75rem;font-weight:600}
.logs{font-family:var(--mono);font-size:12px;max-height:70vh;overflow:auto}.logs div{padding:.12rem .3rem;border-bottom:1px solid #f3f4f8;white-space:pre-wrap;word-break:break-word}
.logs .warn{background:#fff9db}.logs .error,.logs .fatal{background:#fff5f5}
.timeline{list-style:none;margin:0;padding:0 0 0 1rem;border-left:3px solid var(--line)}.timeline li{position:relative;margin:0 0 .8rem;padding-left:.8rem}
.timeline li::before{content:"";position:absolute;left:-1.55rem;top:.35rem;width:.8rem;height:.8rem;border-radius:50%;background:var(--ok);border:2px solid #fff}
.timeline li.error::before{background:var(--bad)}.timeline li.compensate::before{background:var(--warn)}
dialog{border:1px solid var(--line);border-radius:10px;padding:1.2rem;max-width:28rem}dialog::backdrop{background:rgba(29,36,51,.35)}
.flash{padding:.5rem .8rem;border-radius:8px;background:#edf2ff;margin-bottom:1rem}.flash.error{background:#fff5f5;color:var(--bad)}
`;

/**
 * Buttons with data-action POST (JSON) to the control API after a
 * confirmation dialog (on success, data-remove names the enclosing element
 * to take off the page, e.g. a replayed dead letter's row); elements with data-live are replaced by the matching
 * field of each Server-Sent Event from data-stream.
 */
const SCRIPT = `
const dlg=document.getElementById('confirm');
document.addEventListener('click',e=>{const b=e.target.closest('[data-action]');if(!b)return;e.preventDefault();
 const go=async()=>{const body=b.dataset.body?b.dataset.body:'{}';const r=await fetch(b.dataset.action,{method:'POST',headers:{'content-type':'application/json'},body});
  const j=await r.json().catch(()=>({}));const f=document.getElementById('flash');if(f){f.textContent=r.ok?(b.dataset.done||'Done.'):(j.detail||j.title||('Failed: '+r.status));f.className='flash'+(r.ok?'':' error');f.hidden=false}if(r.ok&&b.dataset.remove)b.closest(b.dataset.remove)?.remove()};
 if(!b.dataset.confirm){go();return}
 dlg.querySelector('p').textContent=b.dataset.confirm;dlg.showModal();
 dlg.onclose=()=>{if(dlg.returnValue==='yes')go()};});
for(const form of document.querySelectorAll('form[data-json]')){form.addEventListener('submit',e=>{e.preventDefault();const data={};
 for(const [k,v] of new FormData(form))data[k]=v===''?undefined:Number.isNaN(Number(v))?v:Number(v);const b=document.createElement('button');
 b.dataset.action=form.action;b.dataset.body=JSON.stringify(data);b.dataset.confirm=form.dataset.confirm||'';b.dataset.done=form.dataset.done||'';form.append(b);b.click();b.remove();});}
const live=document.querySelector('[data-stream]');
if(live){const es=new EventSource(live.dataset.stream);es.onmessage=m=>{const d=JSON.parse(m.data);
 for(const el of document.querySelectorAll('[data-live]')){const k=el.dataset.live;if(d[k]===undefined)continue;
  if(el.dataset.append!==undefined){el.insertAdjacentHTML('afterbegin',d[k]);while(el.children.length>500)el.lastElementChild.remove()}else el.innerHTML=d[k]}}}
`;

/** A whole page. */
export function layout(opts: { title: string; path: string; body: string; stream?: string }): string {
  const nav = NAV.map(([href, label]) => `<a href="${href}"${(href === '/' ? opts.path === '/' : opts.path.startsWith(href)) ? ' class="active"' : ''}>${label}</a>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(opts.title)} · Bazaar operations</title><style>${CSS}</style></head>
<body><header><div class="brand">Bazaar<small>operations</small></div><nav>${nav}</nav></header>
<main${opts.stream ? ` data-stream="${esc(opts.stream)}"` : ''}><div id="flash" class="flash" hidden></div>${opts.body}</main>
<dialog id="confirm"><form method="dialog"><p></p><div style="display:flex;gap:.5rem;justify-content:flex-end">
<button value="no">Cancel</button><button value="yes" class="primary">Confirm</button></div></form></dialog>
<script>${SCRIPT}</script></body></html>`;
}
