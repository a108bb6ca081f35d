import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@bazaar/kit';
import { CartConfig } from '../src/config.ts';

test('config: defaults for a local run; the service token is required and named when missing', () => {
  const config = loadConfig(CartConfig, { BAZAAR_SERVICE_CREDENTIAL: 'x'.repeat(16), BAZAAR_SERVICE_CALLERS: '' });
  assert.equal(config.PORT, 8084);
  assert.equal(config.CATALOG_URL, 'http://127.0.0.1:8082');
  assert.equal(config.ORDERS_URL, 'http://127.0.0.1:8085');
  assert.equal(config.IDENTITY_URL, 'http://127.0.0.1:8081');
  assert.equal(config.CART_CURRENCY, 'EUR');
  assert.throws(() => loadConfig(CartConfig, {}), (e: unknown) => e instanceof ConfigError && e.variables.includes('BAZAAR_SERVICE_CREDENTIAL'));
  assert.throws(() => loadConfig(CartConfig, { BAZAAR_SERVICE_CREDENTIAL: 'x'.repeat(16), BAZAAR_SERVICE_CALLERS: '', CATALOG_URL: 'catalog:8082' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('CATALOG_URL'));
  assert.throws(() => loadConfig(CartConfig, { BAZAAR_SERVICE_CREDENTIAL: 'x'.repeat(16), BAZAAR_SERVICE_CALLERS: '', CART_CURRENCY: 'euro' }), /CART_CURRENCY/);
});

test('config: Redis is optional; its key prefix and cart TTL have defaults and are checked', () => {
  const base = { BAZAAR_SERVICE_CREDENTIAL: 'x'.repeat(16), BAZAAR_SERVICE_CALLERS: '' };
  const config = loadConfig(CartConfig, base);
  assert.equal(config.REDIS_URL, undefined);
  assert.equal(config.REDIS_KEY_PREFIX, 'bazaar:cart:');
  assert.equal(config.CART_TTL_DAYS, 30);
  const set = loadConfig(CartConfig, { ...base, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: 'staging:cart:', CART_TTL_DAYS: '7' });
  assert.equal(set.REDIS_URL, 'redis://127.0.0.1:6379');
  assert.equal(set.CART_TTL_DAYS, 7);
  for (const [key, value] of [['REDIS_URL', '127.0.0.1:6379'], ['REDIS_KEY_PREFIX', 'has space'], ['REDIS_KEY_PREFIX', 'cart{x}:'], ['CART_TTL_DAYS', '0']] as const) {
    assert.throws(() => loadConfig(CartConfig, { ...base, [key]: value }), (e: unknown) => e instanceof ConfigError && e.variables.includes(key), `${key}=${value} is refused, naming the key`);
  }
});
