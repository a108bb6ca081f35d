import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * `bytes` random bytes as hex, from a pooled buffer refilled 8 KiB at a
 * time (one call to the CSPRNG per few hundred ids instead of one per id:
 * crypto.randomBytes showed up in the gateway's profile).
 */
export function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  return pool.toString('hex', start, offset);
}

/** A W3C trace id (32 hex digits, never all zeros). */
export function traceId(): string {
  const id = randomHex(16);
  return id === '00000000000000000000000000000000' ? traceId() : id;
}

/** A W3C span id (16 hex digits, never all zeros). */
export function spanId(): string {
  const id = randomHex(8);
  return id === '0000000000000000' ? spanId() : id;
}
