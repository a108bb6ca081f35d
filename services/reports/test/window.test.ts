import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '@bazaar/kit';
import { parseWindow } from '../src/domain/window.ts';
import { averageAmount } from '../src/domain/sales.ts';

const iso = (d: Date | undefined) => d?.toISOString();

test('no bounds: all time', () => {
  assert.deepEqual(parseWindow({}), { from: undefined, to: undefined });
});

test('dates cover whole UTC days; the end is exclusive the next midnight', () => {
  const w = parseWindow({ from: '2026-02-28', to: '2026-02-28' });
  assert.equal(iso(w.from), '2026-02-28T00:00:00.000Z');
  assert.equal(iso(w.to), '2026-03-01T00:00:00.000Z');
});

test('date-times are instants, offsets honoured, the end inclusive to the millisecond', () => {
  const w = parseWindow({ from: '2026-01-01T10:00:00+02:00', to: '2026-01-01T12:00:00.250Z' });
  assert.equal(iso(w.from), '2026-01-01T08:00:00.000Z');
  assert.equal(iso(w.to), '2026-01-01T12:00:00.251Z');
});

test('from after to is INVALID_RANGE; from equal to to is one day or one instant', () => {
  assert.throws(() => parseWindow({ from: '2026-01-02', to: '2026-01-01' }), (e: unknown) => e instanceof AppError && e.code === 'INVALID_RANGE' && e.status === 400);
  assert.throws(() => parseWindow({ from: '2026-01-01T10:00:00.001Z', to: '2026-01-01T10:00:00Z' }), (e: unknown) => e instanceof AppError && e.code === 'INVALID_RANGE');
  assert.doesNotThrow(() => parseWindow({ from: '2026-01-01T10:00:00Z', to: '2026-01-01T10:00:00Z' }));
  assert.doesNotThrow(() => parseWindow({ from: '2026-01-01T23:00:00Z', to: '2026-01-01' }));
});

test('days the calendar does not have are INVALID_DATE, naming the field', () => {
  for (const bad of ['2026-02-30', '2025-02-29', '2026-13-01', '2026-04-31T10:00:00Z', '2026-01-01T25:00:00Z']) {
    assert.throws(() => parseWindow({ to: bad }), (e: unknown) => e instanceof AppError && e.code === 'INVALID_DATE' && e.extensions.field === 'to', bad);
  }
  assert.doesNotThrow(() => parseWindow({ from: '2024-02-29' }));
});

test('averageAmount rounds half up and is 0 for no orders', () => {
  assert.equal(averageAmount(0, 0), 0);
  assert.equal(averageAmount(201, 2), 101);
  assert.equal(averageAmount(200, 3), 67);
  assert.equal(averageAmount(199, 2), 100);
  assert.equal(averageAmount(10, 4), 3);
});
