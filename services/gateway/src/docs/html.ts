import type { OpenApiDocument, Operation } from './openapi.ts';

/** The docs page's Content-Security-Policy: no scripts at all, only its own inline styles. */
export const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const esc = (text: unknown): string => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const anchor = (method: string, path: string) => `op-${method}-${path.replace(/[^a-zA-Z0-9]+/g, '-')}`;

type Schema = Record<string, unknown>;

/**
 * Render the gateway's OpenAPI document as one self-contained HTML page: a
 * sidebar by service, then every operation with who may call it, its
 * parameters, body and responses, schemas as expandable trees. No script,
 * no external asset: it works offline and under a strict CSP.
 */
export function renderDocs(doc: OpenApiDocument): string {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Schema>;
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, op }]);
    }
  }
  const tags = [...byTag.keys()].sort();
  const nav = tags
    .map((tag) => `<h3>${esc(tag)}</h3><ul>${(byTag.get(tag) ?? []).map(({ method, path }) => `<li><a href="#${anchor(method, path)}"><b class="m ${method}">${method.toUpperCase()}</b> ${esc(path)}</a></li>`).join('')}</ul>`)
    .join('');
  const sections = tags
    .map((tag) => `<section><h2>${esc(tag)}</h2>${(byTag.get(tag) ?? []).map(({ method, path, op }) => operation(method, path, op, schemas)).join('')}</section>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(doc.info.title)} — reference</title><style>${STYLE}</style></head><body>
<nav><h1>${esc(doc.info.title)}</h1><p><a href="/docs/openapi.json">openapi.json</a></p>${nav}</nav>
<main><header><h1>${esc(doc.info.title)}</h1><p>${esc(doc.info.description ?? '')}</p>
<p>Authenticate with <code>Authorization: Bearer &lt;accessToken&gt;</code> from <code>POST /api/identity/login</code>. Errors are <code>application/problem+json</code> (RFC 9457). Rate limits are reported in <code>RateLimit-*</code> headers; a 429 carries <code>Retry-After</code>.</p></header>
${sections}</main></body></html>`;
}

function operation(method: string, path: string, op: Operation, schemas: Record<string, Schema>): string {
  const access = op['x-bazaar-access'] ?? 'public';
  const params = op.parameters ?? [];
  const paramRows = params
    .map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${esc(p.in)}</td><td>${schemaTree(p.schema, schemas, 0)}${p.description ? `<p>${esc(p.description)}</p>` : ''}</td></tr>`)
    .join('');
  const body = op.requestBody?.content ? Object.entries(op.requestBody.content).map(([type, c]) => `<h4>Body <code>${esc(type)}</code></h4>${schemaTree(c.schema, schemas, 0)}`).join('') : '';
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => {
      const content = Object.entries(r.content ?? {})
        .map(([type, c]) => `<details><summary><code>${esc(type)}</code></summary>${schemaTree(c.schema, schemas, 0)}</details>`)
        .join('');
      return `<li><b class="s s${esc(status[0])}">${esc(status)}</b> ${esc(r.description ?? '')}${content}</li>`;
    })
    .join('');
  return `<article id="${anchor(method, path)}"><h3><b class="m ${method}">${method.toUpperCase()}</b> <code>${esc(path)}</code> <span class="a ${access}">${access}</span></h3>
${op.summary ? `<p class="sum">${esc(op.summary)}</p>` : ''}${op.description ? `<p>${esc(op.description)}</p>` : ''}
${paramRows ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>schema</th></tr>${paramRows}</table>` : ''}${body}
<h4>Responses</h4><ul class="resp">${responses}</ul></article>`;
}

/** A JSON Schema as a compact, expandable tree. */
export function schemaTree(schema: unknown, schemas: Record<string, Schema>, depth: number, seen: ReadonlySet<string> = new Set()): string {
  if (schema === undefined || schema === null || typeof schema !== 'object') return '<span class="t">any</span>';
  let s = schema as Schema;
  let refName = '';
  if (typeof s.$ref === 'string') {
    refName = s.$ref.replace('#/components/schemas/', '');
    if (seen.has(refName) || depth > 8) return `<span class="t">${esc(refName)}</span>`;
    s = schemas[refName] ?? {};
    seen = new Set([...seen, refName]);
  }
  if (depth > 8) return '<span class="t">…</span>';
  const facts: string[] = [];
  for (const key of ['format', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'default']) {
    if (s[key] !== undefined) facts.push(`${key}: ${JSON.stringify(s[key])}`);
  }
  if (Array.isArray(s.enum)) facts.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (s.const !== undefined) facts.push(`= ${JSON.stringify(s.const)}`);
  const type = Array.isArray(s.type) ? s.type.join(' | ') : typeof s.type === 'string' ? s.type : '';
  const head = `<span class="t">${esc(refName || type || (s.anyOf || s.oneOf ? 'one of' : 'any'))}</span>${facts.length ? ` <span class="f">${esc(facts.join('; '))}</span>` : ''}${typeof s.description === 'string' ? ` <span class="d">${esc(s.description)}</span>` : ''}`;
  const variants = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(variants)) return `${head}<ul>${variants.map((v) => `<li>${schemaTree(v, schemas, depth + 1, seen)}</li>`).join('')}</ul>`;
  if (s.type === 'array' || s.items !== undefined) return `${head} of ${schemaTree(s.items, schemas, depth + 1, seen)}`;
  const properties = s.properties as Record<string, unknown> | undefined;
  if (properties && Object.keys(properties).length > 0) {
    const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    const rows = Object.entries(properties)
      .map(([name, p]) => `<li><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''} ${schemaTree(p, schemas, depth + 1, seen)}</li>`)
      .join('');
    return depth === 0 ? `${head}<ul class="props">${rows}</ul>` : `<details><summary>${head}</summary><ul class="props">${rows}</ul></details>`;
  }
  return head;
}

const STYLE = `body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1d2330;display:flex}nav{width:300px;height:100vh;overflow:auto;position:sticky;top:0;background:#f5f6f8;padding:1rem;box-sizing:border-box;font-size:13px}
nav h1{font-size:18px}nav h3{margin:1rem 0 .3rem;font-size:13px;text-transform:uppercase;color:#556}nav ul{list-style:none;padding:0;margin:0}nav a{color:inherit;text-decoration:none;display:block;padding:2px 0}
main{flex:1;padding:1rem 2.5rem;max-width:1000px}article{border-top:1px solid #e3e5ea;padding:1rem 0}h3 code{font-size:15px}.sum{font-weight:600}
.m{display:inline-block;min-width:3.6em;font-size:11px;padding:1px 4px;border-radius:3px;color:#fff;text-align:center}.get{background:#2f7d32}.post{background:#1f5fbf}.put,.patch{background:#a66b00}.delete{background:#b00020}.head,.options{background:#666}
.a{font-size:11px;padding:1px 6px;border-radius:8px;border:1px solid}.public{color:#2f7d32}.user{color:#1f5fbf}.admin{color:#b00020}.req{color:#b00020;font-size:11px}
.t{color:#6a3ea1;font-family:ui-monospace,monospace;font-size:13px}.f{color:#667;font-size:12px}.d{color:#445;font-size:13px}ul.props,details ul{list-style:none;padding-left:1.1rem;border-left:1px solid #e3e5ea;margin:.2rem 0}
table{border-collapse:collapse}td,th{border-bottom:1px solid #e3e5ea;padding:.3rem .6rem;text-align:left;vertical-align:top}.resp{list-style:none;padding:0}.s{font-family:ui-monospace,monospace}.s2{color:#2f7d32}.s4{color:#a66b00}.s5{color:#b00020}summary{cursor:pointer}`;
