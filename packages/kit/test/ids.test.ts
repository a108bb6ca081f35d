// Trace and span ids: W3C-shaped, never all zero, distinct, and drawn from a pool of random bytes rather than one
// crypto call per id (a probe's and an event-feed poll's ids cost 3.2 µs of a 23 µs /healthz: docs/performance.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { newSpanId, newTraceId } from '../src/context.ts';
import { nextSpanId, nextTraceId, writeNewSpanId } from '../src/ids.ts';

test('ids are lowercase hex of the W3C lengths, never all zero, and do not repeat', () => {
  const spans = new Set<string>();
  const traces = new Set<string>();
  // Several refills of the 4 KiB pool: ids drawn across a refill are as good as the others.
  for (let i = 0; i < 3000; i++) {
    const span = newSpanId();
    const trace = newTraceId();
    assert.match(span, /^[0-9a-f]{16}$/);
    assert.match(trace, /^[0-9a-f]{32}$/);
    assert.notEqual(span, '0'.repeat(16));
    assert.notEqual(trace, '0'.repeat(32));
    spans.add(span);
    traces.add(trace);
  }
  assert.equal(spans.size, 3000);
  assert.equal(traces.size, 3000);
  const buf = new Uint8Array(10);
  writeNewSpanId(buf, 1);
  assert.equal(buf[0], 0, 'writes only its 8 bytes');
  assert.equal(buf[9], 0, 'writes only its 8 bytes');
  assert.ok(buf.subarray(1, 9).some((b) => b !== 0));
});

test('a request context\'s ids come from the pool: no crypto call per id', (t) => {
  const calls = { randomBytes: 0, randomFillSync: 0 };
  const realBytes = crypto.randomBytes;
  const realFill = crypto.randomFillSync;
  t.mock.method(crypto, 'randomBytes', (...args: Parameters<typeof realBytes>) => {
    calls.randomBytes += 1;
    return realBytes(...args);
  });
  t.mock.method(crypto, 'randomFillSync', <T extends NodeJS.ArrayBufferView>(buffer: T, offset?: number, size?: number): T => {
    calls.randomFillSync += 1;
    return realFill(buffer, offset, size);
  });
  // The modules imported randomBytes / randomFillSync by name: make those bindings see the mocks.
  syncBuiltinESMExports();
  t.after(() => {
    t.mock.restoreAll();
    syncBuiltinESMExports();
  });
  for (let i = 0; i < 1000; i++) {
    newTraceId();
    newSpanId();
    nextSpanId();
    nextTraceId();
  }
  assert.equal(calls.randomBytes, 0, 'no randomBytes call per id (there were 2,000 before the pool)');
  // 1,000 × (16 + 8 + 8 + 16) bytes = 48,000 bytes: a 4 KiB pool is refilled about a dozen times.
  assert.ok(calls.randomFillSync >= 11 && calls.randomFillSync <= 13, `the pool was refilled ${calls.randomFillSync} times for 48,000 bytes of ids`);
});
