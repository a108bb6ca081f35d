/**
 * Web pages at the edge: everything outside /api/ that the gateway does not
 * answer itself (health, metrics, /docs) goes to the web upstream, the
 * storefront (issue 15), through the same proxy path as the API (balancing,
 * breakers, rate limits per client, access log, request ids).
 *
 * Kept apart from the API routing table on purpose: the storefront
 * authenticates with its own session cookie and acts with the shopper's
 * token on /api/*, so the gateway has no access rule to apply to pages.
 */
import type { AppError } from '@bazaar/kit';
import type { RouteSpec } from '../routes.ts';

/** The area whose upstream serves pages (its package.json "area"). */
export const WEB_AREA = 'storefront';

/**
 * The routing-table key of the page rules. Not the area itself: the
 * storefront serves no /api/storefront/... routes, so its area has none.
 */
export const PAGE_RULES = 'pages';

/** Uploads in the back office (product images) may be larger than an API body. */
export const WEB_UPLOAD_LIMIT = 8 * 1024 * 1024;

/** A page may wait for a checkout to finish (long-poll), longer than an API call. */
export const WEB_TIMEOUT_MS = 15_000;

/** Pages are public at the edge; the storefront decides who sees what. */
export const WEB_ROUTES: RouteSpec[] = [
  { method: 'POST', path: '/admin/*', access: 'public', bodyLimit: WEB_UPLOAD_LIMIT, timeoutMs: WEB_TIMEOUT_MS },
  { method: ['GET', 'POST'], path: '/', access: 'public', timeoutMs: WEB_TIMEOUT_MS },
  { method: ['GET', 'POST'], path: '/*', access: 'public', timeoutMs: WEB_TIMEOUT_MS },
];

/** Paths the gateway's own app answers. */
const OWN = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/docs/openapi.json']);

/** Whether a request URL is a page for the web upstream (not /api/, not one of the gateway's own). */
export function isWebPath(url: string): boolean {
  if (url.startsWith('/api/') || url === '/api') return false;
  // Internal paths are nobody's pages: the gateway answers 404 itself (a POST must not reach the storefront's CSRF check and read as 403).
  if (url === '/internal' || url.startsWith('/internal/') || url.startsWith('/internal?')) return false;
  const q = url.indexOf('?');
  return !OWN.has(q < 0 ? url : url.slice(0, q));
}

const escapeHtml = (text: string): string => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A page for an error the gateway answers itself on a page path (the
 * storefront down, a rate limit): a browser shows it instead of JSON. No
 * script, no style sheet to load (the storefront may be the thing that is down).
 */
export function webErrorPage(error: AppError, requestId: string): { body: string; headers: string[] } {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(error.title)} · Bazaar</title></head><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#18181b"><main><h1>${escapeHtml(error.title)}</h1><p>${escapeHtml(error.message)}</p><p>Please try again in a moment. <a href="/">Back to the shop</a></p><p style="color:#52525b;font-size:.875rem">Request id ${escapeHtml(requestId)}</p></main></body></html>`;
  return {
    body,
    headers: ['content-type', 'text/html; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'cache-control', 'no-store', 'content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"],
  };
}
