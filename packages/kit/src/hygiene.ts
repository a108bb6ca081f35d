import type { FastifyRequest } from 'fastify';
import { commonErrors } from './errors.ts';

const PAN = /\d{13,19}/g;

/** A path as it may be logged: anything that looks like a card number is masked; the query is never logged. */
export function redactPath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.length >= 13 && /\d{13}/.test(path) ? path.replace(PAN, '[redacted]') : path;
}

/** Deepest nesting accepted in a JSON body; Bazaar's schemas nest a handful of levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * The nesting depth of a JSON text, by one linear scan (strings skipped),
 * stopping as soon as `limit` is exceeded: deeply nested input is refused
 * before JSON.parse and the schema check spend time on it.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** Part of the app's onRequest hook: one Authorization header at most (a proxy reading the last and a service the first would disagree). */
export function singleAuthorization(request: FastifyRequest): void {
  const raw = request.raw.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).length === 13 && (raw[i] as string).toLowerCase() === 'authorization' && ++seen > 1) {
      throw commonErrors.DUPLICATE_HEADER('Send one Authorization header.');
    }
  }
}
