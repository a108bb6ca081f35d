import type { StoredMessage } from './mailbox.ts';

/** Escape text for HTML content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{background:#243b53;color:#fff;padding:.6em 1em}header a{color:#fff}
main{display:flex;gap:1em;padding:1em}table{border-collapse:collapse;min-width:32em}
td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
tr.current{background:#eef4fb}section{flex:1;min-width:0}
pre{white-space:pre-wrap;background:#f7f7f7;padding:.8em}iframe{width:100%;height:28em;border:1px solid #ddd}
.muted{color:#777}`;

/**
 * The web view: the message list (newest first) and, when one is chosen, the
 * message itself. HTML bodies are shown in a sandboxed iframe, so a message's
 * markup or scripts can never act on this page.
 */
export function renderPage(messages: StoredMessage[], current: StoredMessage | undefined): string {
  const rows = messages
    .map((m) => {
      const cls = m.id === current?.id ? ' class="current"' : '';
      return `<tr${cls}><td><a href="/?id=${encodeURIComponent(m.id)}">${escapeHtml(m.subject || '(no subject)')}</a></td><td>${escapeHtml(m.to.join(', '))}</td><td class="muted">${escapeHtml(m.receivedAt)}</td></tr>`;
    })
    .join('\n');
  const list = messages.length === 0 ? '<p class="muted">No mail yet. Send to this sink over SMTP and reload.</p>' : `<table><thead><tr><th>subject</th><th>to</th><th>received</th></tr></thead><tbody>${rows}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bazaar mail sink (${messages.length})</title><style>${STYLE}</style></head>
<body><header><strong>Bazaar mail sink</strong> — ${messages.length} message(s) · <a href="/">refresh</a> · <a href="/api/messages">JSON</a></header>
<main><div>${list}</div>${current ? renderMessage(current) : ''}</main></body></html>`;
}

function renderMessage(m: StoredMessage): string {
  const html = m.html === undefined ? '' : `<h3>HTML</h3><iframe sandbox="" srcdoc="${escapeHtml(m.html)}" title="HTML body"></iframe>`;
  return `<section><h2>${escapeHtml(m.subject || '(no subject)')}</h2>
<p><strong>From:</strong> ${escapeHtml(m.from)}<br><strong>To:</strong> ${escapeHtml(m.to.join(', '))}<br>
<strong>Message-ID:</strong> ${escapeHtml(m.messageId)}<br><strong>Received:</strong> ${escapeHtml(m.receivedAt)} · ${m.size} bytes</p>
<h3>Text</h3><pre>${escapeHtml(m.text)}</pre>${html}</section>`;
}
