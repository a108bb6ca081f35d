import { errors as undiciErrors } from 'undici';

/**
 * Why an attempt failed, as far as retrying is concerned:
 * - `connect`: nothing reached the instance (refused, unreachable, connect timeout): safe to try another for any request;
 * - `reset`: the connection broke before an answer: the instance may have acted, so only idempotent requests are retried;
 * - `timeout`: the deadline passed; `body`: the request body went over the limit; `client`: the client went away.
 */
export type Failure = 'connect' | 'reset' | 'timeout' | 'body' | 'client' | 'other';

const CONNECT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** Classify a transport error from undici. */
export function classify(error: unknown): Failure {
  if (error instanceof undiciErrors.ConnectTimeoutError) return 'connect';
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) return 'timeout';
  const code = (error as { code?: string } | undefined)?.code;
  if (code !== undefined && CONNECT.has(code)) return 'connect';
  if (code !== undefined && RESET.has(code)) return 'reset';
  if (error instanceof undiciErrors.SocketError) return 'reset';
  return 'other';
}
