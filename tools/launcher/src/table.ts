import type { ProcessInfo } from './supervisor.ts';

/** Render rows as an aligned plain-text table. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The service table printed at start-up. */
export function processTable(infos: ProcessInfo[]): string {
  return formatTable(
    ['service', 'pid', 'url', 'state'],
    infos.map((p) => [p.name, String(p.pid ?? '-'), p.url, p.state]),
  );
}
