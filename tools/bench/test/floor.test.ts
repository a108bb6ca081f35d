import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countOperations, floorUs, measureBareCosts, perServiceRate, servedByRouteSoFar, servedPerCheckout } from '../src/floor.ts';

test("a checkout's operations are counted from its spans: HTTP served and made, statements, transactions; other spans are not", async () => {
  const spans: Record<string, { name: string; kind: number }[]> = {
    a: [
      { name: 'POST /api/checkout', kind: 1 },
      { name: 'GET cart', kind: 2 },
      { name: 'GET /internal/carts/:userId', kind: 1 },
      { name: 'sqlite SELECT', kind: 2 },
      { name: 'sqlite INSERT', kind: 2 },
      { name: 'sqlite transaction', kind: 2 },
      { name: 'publish orders.order-placed', kind: 3 },
      { name: 'consume orders.order-placed', kind: 5 },
      { name: 'saga RESERVING', kind: 0 },
    ],
    b: [
      { name: 'POST /api/checkout', kind: 1 },
      { name: 'postgresql UPDATE', kind: 2 },
      { name: 'postgresql transaction', kind: 2 },
      { name: 'postgresql transaction', kind: 2 },
    ],
    gone: [],
  };
  const ops = await countOperations(['a', 'b', 'gone'], async (id) => spans[id] ?? []);
  assert.deepEqual(ops, { orders: 2, served: 1.5, made: 0.5, statements: 1.5, transactions: 1.5 }, 'an order with no spans stored is left out of the mean');
  assert.equal(floorUs(ops, { serverUs: 10, clientUs: 20, statementUs: 2, transactionUs: 4 }), 1.5 * 10 + 0.5 * 20 + 1.5 * 2 + 1.5 * 4);
  // Paced: requests served at the paced server's price, the rest at their hot ones; without a paced measurement, hot.
  const costs = { serverUs: 10, clientUs: 20, statementUs: 2, transactionUs: 4, paced: { rate: 50, serverUs: 100, clientUs: 300 } };
  assert.equal(floorUs(ops, costs, 'paced'), 1.5 * 100 + 0.5 * 20 + 1.5 * 2 + 1.5 * 4);
  assert.equal(floorUs(ops, costs), 1.5 * 10 + 0.5 * 20 + 1.5 * 2 + 1.5 * 4);
  assert.equal(floorUs(ops, { serverUs: 10, clientUs: 20, statementUs: 2, transactionUs: 4 }, 'paced'), 1.5 * 10 + 0.5 * 20 + 1.5 * 2 + 1.5 * 4);
  // With the services' own count of requests served (12 per checkout behind the gateway): those were made by Bazaar
  // processes and served; the gateway's, from the spans, are served only (the shopper made them).
  spans.a?.push({ name: 'POST /api/checkout', kind: 1, service: 'gateway' } as { name: string; kind: number });
  const counted = await countOperations(['a', 'b'], async (id) => spans[id] ?? [], { internal: 12 });
  assert.deepEqual([counted.served, counted.made], [0.5 + 12, 12]);
  // With the gateway's own counters (the cart's PUT before the checkout is a trace of its own): its count, not the spans'.
  const withGateway = await countOperations(['a', 'b'], async (id) => spans[id] ?? [], { internal: 12, gateway: 2 });
  assert.deepEqual([withGateway.served, withGateway.made], [2 + 12, 12]);
});

test("requests served are read off the services' counters by route, probes and scrapes left out; a service without the counter has none", async () => {
  const metrics = [
    '# HELP http_requests_total HTTP requests handled, by method, route and status',
    'http_requests_total{method="POST",route="/internal/carts/:userId/lines",status="200",service="cart"} 40',
    'http_requests_total{method="GET",route="/internal/events",status="200",service="cart"} 7',
    'http_requests_total{method="GET",route="/healthz",status="200",service="cart"} 1000',
    'http_requests_total{method="GET",route="/readyz",status="200",service="cart"} 90',
    'http_request_duration_seconds_count{method="GET",route="/internal/events",status="200",service="cart"} 7',
  ].join('\n');
  const server = createServer((req, res) => {
    if (req.url === '/metrics') res.end(metrics);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const served = await servedByRouteSoFar([{ service: 'cart', url }, { service: 'gone', url: `${url}/not-a-service` }]);
    assert.deepEqual([...served], [['cart POST /internal/carts/:userId/lines', 40], ['cart GET /internal/events', 7]]);
  } finally {
    server.close();
  }
});

test('the bare operations are measured in processes of their own, each cost positive and finite; paced when asked', async () => {
  const costs = await measureBareCosts({ durationS: 1, inFlight: 2, paceRps: 100, pacedS: 1 });
  const { paced, ...hot } = costs;
  for (const [name, us] of Object.entries(hot)) assert.ok(Number.isFinite(us) && us >= 0, `${name}: ${us} µs`);
  assert.ok(costs.serverUs > 0 && costs.clientUs > 0 && costs.statementUs > 0, `HTTP and statements cost something: ${JSON.stringify(costs)}`);
  assert.equal(paced?.rate, 100);
  // At least 200 requests (2 s at 100 a second), each of both processes' CPU counted.
  assert.ok(paced && paced.serverUs > 0 && paced.clientUs > 0 && Number.isFinite(paced.serverUs + paced.clientUs), `paced: ${JSON.stringify(paced)}`);
});

test('the rate each service was asked at: requests served per checkout × checkouts a second ÷ services', () => {
  assert.equal(perServiceRate(13, 60, 13), 60);
  assert.equal(perServiceRate(14, 50, 10), 70);
  assert.equal(perServiceRate(14, 50, 0), 0);
});

test("a step's census: each route's requests per confirmed checkout, keyed by the service asked, statuses summed, most asked first, the rare ones left out", async () => {
  let served: Record<string, string[]> = {
    payments: [
      'http_requests_total{method="POST",route="/internal/payments/authorize",status="201",service="payments"} 130',
      'http_requests_total{method="POST",route="/internal/payments/authorize",status="402",service="payments"} 5',
    ],
    cart: ['http_requests_total{method="PUT",route="/api/cart/items/:productId",status="200",service="cart"} 210'],
    orders: [],
  };
  const server = createServer((req, res) => res.end((served[(req.url ?? '').split('/')[1] ?? ''] ?? []).join('\n')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The gateway's counters carry no service label of ours: the key is the name the caller gives the address.
  const targets = ['payments', 'cart', 'orders'].map((service) => ({ service: service === 'orders' ? 'gateway' : service, url: `${url}/${service}` }));
  try {
    const before = await servedByRouteSoFar(targets);
    assert.equal(before.get('payments POST /internal/payments/authorize'), 135, 'every status of a route counts');
    served = {
      payments: [
        'http_requests_total{method="POST",route="/internal/payments/authorize",status="201",service="payments"} 225',
        'http_requests_total{method="POST",route="/internal/payments/authorize",status="402",service="payments"} 10',
      ],
      cart: ['http_requests_total{method="PUT",route="/api/cart/items/:productId",status="200",service="cart"} 410'],
      orders: ['http_requests_total{method="POST",route="/api/checkout",status="201"} 4'],
    };
    const after = await servedByRouteSoFar(targets);
    assert.deepEqual(servedPerCheckout(before, after, 100), [
      { route: 'cart PUT /api/cart/items/:productId', perCheckout: 2 },
      { route: 'payments POST /internal/payments/authorize', perCheckout: 1 },
    ], 'a route new in the step counts from 0; one asked 4 times in 100 checkouts is left out');
    assert.deepEqual(servedPerCheckout(before, after, 100, 0)[2], { route: 'gateway POST /api/checkout', perCheckout: 0.04 }, 'with no minimum every route is there');
    assert.deepEqual(servedPerCheckout(before, after, 0)[0], { route: 'cart PUT /api/cart/items/:productId', perCheckout: 200 }, 'no confirmed checkout: per one');
  } finally {
    server.close();
  }
});
