/** Small helpers the page routes share. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../errors.ts';

/** A posted form's fields as text (the form body parser gives strings or arrays of them). */
export function form(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  const out: Record<string, string> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') out[key] = value[0];
  }
  return out;
}

/** A query parameter as text, or '' when absent. */
export function queryText(request: FastifyRequest, name: string): string {
  const v = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, 300) : '';
}

/** Only same-site paths may be redirected to after sign-in (no open redirect). */
export function safeNext(next: string | undefined, fallback = '/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  return next;
}

/** 303 See Other: after a POST the browser GETs the next page, so reload never re-posts. */
export function seeOther(reply: FastifyReply, url: string): FastifyReply {
  return reply.code(303).header('location', url).send();
}

/** Send anonymous shoppers to sign in, coming back here afterwards. */
export function toLogin(request: FastifyRequest, reply: FastifyReply, next?: string): FastifyReply {
  return seeOther(reply, `/account/login?next=${encodeURIComponent(safeNext(next ?? request.url))}`);
}

/** Whether the client asked for JSON (the progressive-enhancement script does). */
export function wantsJson(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').startsWith('application/json');
}

/** The back office's guard (a preHandler): anonymous → sign in; signed in without the admin role → 403 page. */
export async function requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (!request.session) return toLogin(request, reply);
  if (!request.session.roles.includes('admin')) throw errors.ADMIN_ONLY('Sign in with an administrator account to use the back office.');
  return undefined;
}
