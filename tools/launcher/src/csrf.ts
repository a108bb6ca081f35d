import type { IncomingMessage } from 'node:http';

/**
 * Whether a state-changing request to the control API comes from another
 * site (cross-site request forgery): a page on any origin can make the
 * operator's browser POST to http://127.0.0.1:8070/api/services/x/stop.
 * Browsers say where a request comes from (Origin, Sec-Fetch-Site); a
 * request that names another origin is refused. Tools like curl send
 * neither and are allowed: the listener is loopback-only.
 */
export function crossSite(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const host = req.headers.host;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `Origin: ${origin}`;
  }
  return host !== undefined && originHost === host ? undefined : `Origin: ${origin}`;
}
