import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../src/index.ts';
import { withContext } from '../src/context.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

// Seen as an operator: a catalog's "listening" line carried the fields of the migration and seeding lines before it
// ("migrations", "location", "products", "ms"). pino merges each line's fields into the object its mixin returns; the
// mixin returned one shared empty object outside a request, so every line outside a request added its fields to it.
test('a line written outside a request carries only its own fields, not those of the lines before it', () => {
  const { lines, destination } = capture();
  const logger = createLogger({ service: 'probe', destination });
  logger.info({ migrations: ['0001_init'] }, 'migrations applied');
  logger.info({ products: 600 }, 'catalog seeded');
  logger.info('listening');
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[1]?.migrations, undefined, 'the seeding line does not repeat the migrations');
  assert.deepEqual(lines[2]?.migrations, undefined, 'the listening line does not repeat the migrations');
  assert.equal(lines[2]?.products, undefined, 'the listening line does not repeat the product count');
  assert.equal(lines[1]?.products, 600);
});

test('a line written inside a request names its request, trace and span, and only that line', () => {
  const { lines, destination } = capture();
  const logger = createLogger({ service: 'probe', destination });
  const ctx = { requestId: 'req-1', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
  withContext(ctx, () => logger.info({ step: 1 }, 'inside'));
  logger.info('outside');
  assert.equal(lines[0]?.requestId, 'req-1');
  assert.equal(lines[0]?.trace_id, ctx.traceId);
  assert.equal(lines[0]?.span_id, ctx.spanId);
  assert.equal(lines[1]?.requestId, undefined, 'the next line outside the request names none');
  assert.equal(lines[1]?.step, undefined);
});
