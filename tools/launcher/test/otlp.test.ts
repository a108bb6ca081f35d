import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTraces } from '../src/telemetry/otlp.ts';

const request = (spans: object[]) => ({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] }, scopeSpans: [{ spans }] }] });

test('decodeTraces: hex ids in either case and base64 ids, nanosecond timestamps to the microsecond', () => {
  const [lower, upper, base64] = decodeTraces(
    request([
      { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'a', startTimeUnixNano: '1733400000123456789', endTimeUnixNano: '1733400000124000000' },
      { traceId: '0AF7651916CD43DD8448EB211C80319C', spanId: 'B7AD6B7169203332', parentSpanId: 'B7AD6B7169203331', name: 'b', startTimeUnixNano: 1_733_400_000_000_000, endTimeUnixNano: '42' },
      { traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex').toString('base64'), spanId: Buffer.from('b7ad6b7169203333', 'hex').toString('base64'), name: 'c' },
      { traceId: 'not-an-id', spanId: 'b7ad6b7169203334', name: 'skipped' },
    ]),
  );
  assert.equal(lower?.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(lower?.start, 1_733_400_000_123.456, 'to the microsecond (below it is dropped)');
  assert.equal(lower?.end, 1_733_400_000_124);
  assert.ok(Math.abs((lower?.durationMs ?? 0) - 0.544) < 1e-3, String(lower?.durationMs));
  assert.deepEqual([upper?.traceId, upper?.spanId, upper?.parentSpanId], ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203332', 'b7ad6b7169203331']);
  assert.equal(upper?.start, 1_733_400_000, 'a number of nanoseconds');
  assert.equal(upper?.end, 0, 'fewer digits than a millisecond has nanoseconds');
  assert.deepEqual([base64?.traceId, base64?.spanId, base64?.start], ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203333', 0]);
  assert.equal(decodeTraces(request([{ traceId: 'x', spanId: 'y' }])).length, 0, 'malformed ids: the span is skipped');
});
