// Configuration parsing and the routing table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@bazaar/kit';
import { GatewayConfig, parseRate, parseRateLimits, parseUpstreams, tlsFiles } from '../src/config.ts';
import { ROUTES, RouteTable } from '../src/routes.ts';

test('the routing table: area=url pairs; a repeated area lists several instances', () => {
  assert.deepEqual(
    [...parseUpstreams('identity=http://127.0.0.1:8081/,payments=http://127.0.0.1:8086,payments=http://127.0.0.1:8186,payments=http://127.0.0.1:8086')],
    [
      ['identity', ['http://127.0.0.1:8081']],
      ['payments', ['http://127.0.0.1:8086', 'http://127.0.0.1:8186']],
    ],
  );
  assert.equal(parseUpstreams('').size, 0);
});

test('rates: count/period', () => {
  assert.deepEqual(parseRate('10/15m'), { capacity: 10, periodMs: 900_000 });
  assert.deepEqual(parseRate('1200/min'), { capacity: 1200, periodMs: 60_000 });
  assert.deepEqual(parseRate('5/s'), { capacity: 5, periodMs: 1000 });
  assert.deepEqual(parseRate('100/2h'), { capacity: 100, periodMs: 7_200_000 });
  assert.throws(() => parseRate('10/0s'), /period is zero/);
  assert.deepEqual([...parseRateLimits('read=10/s,write=1/m').keys()], ['read', 'write']);
});

test('config fails fast and names the variable', () => {
  assert.throws(() => loadConfig(GatewayConfig, { BAZAAR_UPSTREAMS: 'catalog=ftp://x' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('BAZAAR_UPSTREAMS'));
  assert.throws(() => loadConfig(GatewayConfig, { RATE_LIMITS: 'read=lots' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('RATE_LIMITS'));
  assert.throws(() => loadConfig(GatewayConfig, { CORS_ORIGINS: 'not a url' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('CORS_ORIGINS'));
  assert.throws(() => tlsFiles({ TLS_CERT_FILE: 'cert.pem' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('TLS_KEY_FILE'));
  assert.equal(tlsFiles({}), undefined);
  const ok = loadConfig(GatewayConfig, { BAZAAR_UPSTREAMS: 'catalog=http://127.0.0.1:8082', CORS_ORIGINS: 'https://shop.example,http://localhost:3000' });
  assert.equal(ok.PORT, 8080);
  assert.equal(ok.UPSTREAM_TIMEOUT_MS, 1500);
});

test('routes: public, user and admin rules; GET implies HEAD; 405 knows the allowed methods', () => {
  const routes = new RouteTable(Object.keys(ROUTES));
  assert.equal(routes.match('catalog', 'GET', '/api/catalog/products/abc')?.access, 'public');
  assert.equal(routes.match('catalog', 'HEAD', '/api/catalog/products/abc')?.pattern, '/api/catalog/products/:id');
  assert.equal(routes.match('catalog', 'PATCH', '/api/catalog/products/abc')?.access, 'admin');
  assert.equal(routes.match('catalog', 'DELETE', '/api/catalog/products/abc'), undefined);
  assert.deepEqual(routes.allowedMethods('catalog', '/api/catalog/products/abc').sort(), ['GET', 'HEAD', 'PATCH']);
  assert.equal(routes.match('catalog', 'GET', '/api/catalog/products/abc/extra'), undefined);
  assert.equal(routes.match('identity', 'POST', '/api/identity/login')?.login, true);
  assert.equal(routes.match('identity', 'POST', '/api/identity/login')?.limit, 'auth');
  assert.equal(routes.match('orders', 'GET', '/api/orders/o-1')?.access, 'user');
  assert.equal(routes.match('checkout', 'POST', '/api/checkout')?.limit, 'write');
  assert.equal(routes.match('reports', 'GET', '/api/reports/sales')?.access, 'admin');
  assert.equal(routes.match('reports', 'GET', '/api/reports/sales/daily'), undefined, 'only declared routes are routed');
  assert.equal(routes.match('search', 'GET', '/api/search')?.access, 'public');
});

test('an area served by a service but without route descriptors is a start-up error, not public reads', () => {
  assert.throws(() => new RouteTable(['catalog', 'wishlist']), /no route descriptors for the area\(s\) wishlist/);
});
