import { UpstreamError } from '@bazaar/kit';

/** Whether an upstream answered `status` (optionally with problem code `code`). */
export function answered(error: unknown, status: number, code?: string): error is UpstreamError {
  return error instanceof UpstreamError && error.upstreamStatus === status && (code === undefined || error.problem?.code === code);
}
