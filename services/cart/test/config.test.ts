import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@bazaar/kit';
import { CartConfig } from '../src/config.ts';

test('config: defaults for a local run; the service token is required and named when missing', () => {
  const config = loadConfig(CartConfig, { BAZAAR_SERVICE_TOKEN: 'x'.repeat(16) });
  assert.equal(config.PORT, 8084);
  assert.equal(config.CATALOG_URL, 'http://127.0.0.1:8082');
  assert.equal(config.ORDERS_URL, 'http://127.0.0.1:8085');
  assert.equal(config.IDENTITY_URL, 'http://127.0.0.1:8081');
  assert.equal(config.CART_CURRENCY, 'EUR');
  assert.throws(() => loadConfig(CartConfig, {}), (e: unknown) => e instanceof ConfigError && e.variables.includes('BAZAAR_SERVICE_TOKEN'));
  assert.throws(() => loadConfig(CartConfig, { BAZAAR_SERVICE_TOKEN: 'x'.repeat(16), CATALOG_URL: 'catalog:8082' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('CATALOG_URL'));
  assert.throws(() => loadConfig(CartConfig, { BAZAAR_SERVICE_TOKEN: 'x'.repeat(16), CART_CURRENCY: 'euro' }), /CART_CURRENCY/);
});
