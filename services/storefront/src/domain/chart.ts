/**
 * Bar charts for the back office, drawn on the server as SVG: they show
 * without JavaScript, scale with the page, and carry a table beside them for
 * screen readers. (A client chart library would cost more than the whole
 * client budget; see ADR 0035.)
 */
export interface Bar {
  label: string;
  value: number;
  /** Shown in the tooltip and the table, e.g. "€1,234.00". */
  text: string;
}

function esc(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A vertical bar chart as an SVG element (inline, decorative: the data is in a table too). */
export function barChart(bars: Bar[], opts: { width?: number; height?: number; color?: string } = {}): string {
  const width = opts.width ?? 900;
  const height = opts.height ?? 180;
  const pad = { top: 12, bottom: 28, left: 8, right: 8 };
  const max = Math.max(1, ...bars.map((b) => b.value));
  const n = Math.max(1, bars.length);
  const slot = (width - pad.left - pad.right) / n;
  const barWidth = Math.max(2, Math.min(48, slot * 0.7));
  const chartHeight = height - pad.top - pad.bottom;
  const every = Math.ceil(n / 12);
  const parts = bars.map((b, i) => {
    const h = Math.round((b.value / max) * chartHeight);
    const x = pad.left + i * slot + (slot - barWidth) / 2;
    const y = pad.top + chartHeight - h;
    const label = i % every === 0 ? `<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle">${esc(b.label)}</text>` : '';
    return `<rect x="${x.toFixed(1)}" y="${y}" width="${barWidth.toFixed(1)}" height="${Math.max(h, 1)}" rx="3" fill="${opts.color ?? '#4f46e5'}"><title>${esc(b.label)}: ${esc(b.text)}</title></rect>${label}`;
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" aria-hidden="true" focusable="false"><line x1="${pad.left}" x2="${width - pad.right}" y1="${pad.top + chartHeight}" y2="${pad.top + chartHeight}" stroke="#d4d4d8"/>${parts.join('')}</svg>`;
}

/** A horizontal bar for a table cell: `value` out of `max`, as an SVG (inline styles are not allowed by the pages' CSP). */
export function hbar(value: number, max: number): string {
  const pct = max > 0 ? Math.max(1, Math.round((value / max) * 100)) : 0;
  return `<svg class="hbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect width="${pct}" height="10" rx="2"/></svg>`;
}

/** One CSV field, quoted when needed (RFC 4180), with formula-looking text defused for spreadsheets. */
export function csvField(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
