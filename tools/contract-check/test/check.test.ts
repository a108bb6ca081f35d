import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkExchanges, describeMismatches, mediaTypeOf, type Exchange, type PublishedDocument } from '../src/index.ts';

// A document shaped like the ones the kit and the gateway publish: 3.1, shared schemas under components.
const document: PublishedDocument = {
  base: 'http://127.0.0.1:9000',
  name: 'orders',
  document: {
    openapi: '3.1.0',
    paths: {
      '/api/orders/{id}': {
        get: {
          responses: {
            200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
            404: { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
          },
        },
      },
      '/api/orders/search': {
        get: { responses: { 200: { content: { 'application/json': { schema: { type: 'array' } } } } } },
      },
      '/api/checkout': {
        post: { responses: { 202: { description: 'accepted, no body' } } },
      },
    },
    components: {
      schemas: {
        Order: {
          type: 'object',
          required: ['id', 'status', 'createdAt'],
          additionalProperties: false,
          properties: { id: { type: 'string' }, status: { enum: ['PENDING', 'CONFIRMED', 'CANCELLED'] }, createdAt: { type: 'string', format: 'date-time' } },
        },
        Problem: { type: 'object', required: ['type', 'status'], properties: { type: { type: 'string' }, status: { type: 'integer' } } },
      },
    },
  },
};

const at = (path: string, status: number, contentType: string, body: unknown, method = 'GET'): Exchange => ({ method, url: `http://127.0.0.1:9000${path}`, status, contentType, body });
const order = { id: 'o1', status: 'CONFIRMED', createdAt: '2026-12-05T00:00:00.000Z' };

test('answers that are what their contract says pass', () => {
  const mismatches = checkExchanges([document], [
    at('/api/orders/o1', 200, 'application/json; charset=utf-8', order),
    at('/api/orders/o1?wait=5', 404, 'application/problem+json', { type: 'about:blank', status: 404 }),
    at('/api/orders/search', 200, 'application/json', []),
    at('/api/checkout', 202, '', undefined, 'POST'),
    // Plumbing, and answers from elsewhere, are not the document's business.
    at('/healthz', 200, 'application/json', { status: 'ok' }),
    { method: 'GET', url: 'http://127.0.0.1:90001/api/orders/o1', status: 500, contentType: 'text/plain', body: undefined },
  ]);
  assert.deepEqual(mismatches, [], describeMismatches(mismatches));
});

test('every kind of drift is reported: undocumented operation, undeclared status, undeclared media type, body off its schema', () => {
  const mismatches = checkExchanges([document], [
    at('/api/orders/o1', 200, 'application/json', { ...order, shipping: 'extra' }),
    at('/api/orders/o1', 200, 'application/json', { ...order, createdAt: 'yesterday' }),
    at('/api/orders/o1', 404, 'application/json', { type: 'about:blank', status: 404 }),
    at('/api/orders/o1', 503, 'application/problem+json', { type: 'about:blank', status: 503 }),
    at('/api/orders/o1', 200, 'application/json', order, 'DELETE'),
    at('/api/refunds', 200, 'application/json', {}),
    at('/api/checkout', 202, 'application/json', { orderId: 'o1' }, 'POST'),
  ]);
  const text = describeMismatches(mismatches);
  assert.equal(mismatches.length, 7, text);
  assert.match(text, /additional properties \(shipping\)/);
  assert.match(text, /must match format "date-time"/);
  assert.match(text, /media type application\/json is not declared/);
  assert.match(text, /status 503 is not declared/);
  assert.match(text, /DELETE \/api\/orders\/o1 is not documented/);
  assert.match(text, /GET \/api\/refunds is not documented/);
  assert.match(text, /declares no body/);
});

test('the same drift seen many times is reported once', () => {
  const wrong = at('/api/orders/8d0c3f2e-0000-4000-8000-000000000001', 503, 'application/problem+json', {});
  const other = at('/api/orders/8d0c3f2e-0000-4000-8000-000000000002', 503, 'application/problem+json', {});
  assert.equal(checkExchanges([document], [wrong, other, wrong]).length, 1);
});

test('media types are compared without their parameters', () => {
  assert.equal(mediaTypeOf('Application/Problem+JSON; charset=utf-8'), 'application/problem+json');
  assert.equal(mediaTypeOf(''), '');
});
