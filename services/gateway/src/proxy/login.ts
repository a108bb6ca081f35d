import { Transform, type TransformCallback } from 'node:stream';
import type { Readable } from 'node:stream';

/** What the gateway learned from a login body it buffered. */
export interface LoginBody {
  body: Buffer;
  /** The account tried, normalised; undefined when the body names none (the gateway then answers 400 itself). */
  email: string | undefined;
  tooLarge: boolean;
}

/** Read a request body in full, up to `limit` bytes (then `tooLarge`, the rest left unread). */
export async function readBody(req: Readable, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return { body: Buffer.alloc(0), tooLarge: true };
    chunks.push(chunk);
  }
  return { body: Buffer.concat(chunks), tooLarge: false };
}

/**
 * Buffer a login body (small by nature, limited by the route) to read the
 * email it names, so failures can be counted per account. The buffered
 * bytes are forwarded unchanged.
 */
export async function readLoginBody(req: Readable, limit: number): Promise<LoginBody> {
  const { body, tooLarge } = await readBody(req, limit);
  if (tooLarge) return { body, email: undefined, tooLarge: true };
  let email: string | undefined;
  try {
    // Read exactly as identity's parser does (fastify: UTF-8, a leading BOM stripped), or the
    // gateway and identity would disagree on which account a body names (issue 13, item 1).
    const text = body.toString('utf8');
    const parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
    const value = (parsed as { email?: unknown } | null)?.email;
    if (typeof value === 'string' && value.length <= 320) email = value.trim().toLowerCase();
  } catch {
    email = undefined;
  }
  return { body, email, tooLarge: false };
}

/** Raised by BodyLimit when a streamed body goes over its limit. */
export class BodyTooLargeError extends Error {
  readonly code = 'BODY_TOO_LARGE';
}

/** Passes a streamed (chunked) body through, failing once it exceeds `limit` bytes. */
export class BodyLimit extends Transform {
  private seen = 0;
  private readonly limit: number;

  constructor(limit: number) {
    super();
    this.limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(new BodyTooLargeError(`over ${this.limit} bytes`));
    else done(null, chunk);
  }
}
