import { errors } from '../errors.ts';

/** The instants a report covers: [from, to). Undefined: unbounded on that side. */
export interface Window {
  from: Date | undefined;
  to: Date | undefined;
}

const DAY_MS = 86_400_000;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight UTC of a YYYY-MM-DD day, refusing days the calendar does not have (2026-02-30). */
function dayStart(value: string, field: string): Date | undefined {
  const match = DATE_ONLY.exec(value.slice(0, 10));
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const at = new Date(Date.UTC(y, m - 1, d));
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== m - 1 || at.getUTCDate() !== d) {
    throw errors.INVALID_DATE(`${field} names a day that does not exist: "${value}".`, { field });
  }
  return at;
}

/** A bound as given: a whole UTC day, or an instant (date-time with offset). */
function parseBound(value: string, field: string): { at: Date; wholeDay: boolean } {
  const day = dayStart(value, field);
  if (!day) throw errors.INVALID_DATE(`${field} must be YYYY-MM-DD or an RFC 3339 date-time, got "${value}".`, { field });
  if (value.length === 10) return { at: day, wholeDay: true };
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw errors.INVALID_DATE(`${field} is not a valid date-time: "${value}".`, { field });
  return { at, wholeDay: false };
}

/**
 * The window of `from`/`to` as the API takes them: both inclusive, a date
 * meaning the whole UTC day, a date-time meaning that instant (to the
 * millisecond). No bound: all time on that side. from after to is an error.
 */
export function parseWindow(query: { from?: string | undefined; to?: string | undefined }): Window {
  const from = query.from === undefined ? undefined : parseBound(query.from, 'from').at;
  let to: Date | undefined;
  if (query.to !== undefined) {
    const bound = parseBound(query.to, 'to');
    // Stored instants have millisecond precision, so "up to and including t" is "before t + 1 ms".
    to = new Date(bound.at.getTime() + (bound.wholeDay ? DAY_MS : 1));
  }
  if (from && to && from.getTime() >= to.getTime()) {
    throw errors.INVALID_RANGE(`from (${query.from}) is after to (${query.to}); swap them or widen the range.`, { from: query.from, to: query.to });
  }
  return { from, to };
}
