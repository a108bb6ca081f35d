/**
 * Trace and span ids, drawn from a pool of random bytes filled 4 KiB at a
 * time: one `randomBytes` call per id cost 1.6 µs (a C++ call and a buffer
 * each), two of them on every probe and event-feed poll (docs/performance.md,
 * "December 7, third session"). The bytes are as random as `randomBytes`'s;
 * only fewer calls fetch them.
 */
import { randomFillSync } from 'node:crypto';

const idPool = Buffer.alloc(4096);
let idAt = idPool.length;

/** Where the next `bytes` random bytes start in the pool (refilled when it runs out). */
function draw(bytes: number): number {
  if (idAt + bytes > idPool.length) {
    randomFillSync(idPool);
    idAt = 0;
  }
  const at = idAt;
  idAt += bytes;
  return at;
}

/** A new span id's 8 bytes written at `at` (never all zero), for a span whose id nobody needs as text (otlp-encode.ts addRecorded). */
export function writeNewSpanId(buf: Uint8Array, at: number): void {
  for (;;) {
    const from = draw(8);
    let any = 0;
    for (let i = 0; i < 8; i++) any |= buf[at + i] = idPool[from + i] as number;
    if (any !== 0) return;
  }
}

const ZERO_SPAN_ID = '0'.repeat(16);
const ZERO_TRACE_ID = '0'.repeat(32);

/** A new span id (W3C: never all zero; at 2^-64 per id, draw again rather than send it). */
export function nextSpanId(): string {
  const from = draw(8);
  const id = idPool.toString('hex', from, from + 8);
  return id === ZERO_SPAN_ID ? nextSpanId() : id;
}

/** A new trace id (never all zero). */
export function nextTraceId(): string {
  const from = draw(16);
  const id = idPool.toString('hex', from, from + 16);
  return id === ZERO_TRACE_ID ? nextTraceId() : id;
}
