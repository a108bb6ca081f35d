/** An instant as DuckDB reads a UTC TIMESTAMP literal: `2026-01-02 10:00:00.000`. */
export function sqlTimestamp(at: Date): string {
  return at.toISOString().replace('T', ' ').replace('Z', '');
}

/** The instant an event's ISO time names, or `fallback` when it does not parse. */
export function instantOf(iso: string, fallback: string): Date {
  const at = new Date(iso);
  if (!Number.isNaN(at.getTime())) return at;
  const other = new Date(fallback);
  return Number.isNaN(other.getTime()) ? new Date() : other;
}
