import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@bazaar/kit';
import { InventoryConfig } from '../src/config.ts';

const token = 'a-service-token-of-enough-length';

test('config defaults: port 8083, 100 initial units, a 1 s sweep, catalog and identity on their default ports', () => {
  const config = loadConfig(InventoryConfig, { BAZAAR_SERVICE_CREDENTIAL: token, BAZAAR_SERVICE_CALLERS: '' });
  assert.equal(config.PORT, 8083);
  assert.equal(config.INVENTORY_INITIAL_STOCK, 100);
  assert.equal(config.INVENTORY_SWEEP_MS, 1000);
  assert.equal(config.CATALOG_URL, 'http://127.0.0.1:8082');
  assert.equal(config.IDENTITY_URL, 'http://127.0.0.1:8081');
});

test('config fails fast naming each bad variable', () => {
  assert.throws(() => loadConfig(InventoryConfig, {}), (error: unknown) => error instanceof ConfigError && error.variables.includes('BAZAAR_SERVICE_CREDENTIAL'));
  assert.throws(
    () => loadConfig(InventoryConfig, { BAZAAR_SERVICE_CREDENTIAL: token, BAZAAR_SERVICE_CALLERS: '', INVENTORY_INITIAL_STOCK: '-5', INVENTORY_SWEEP_MS: 'often', CATALOG_URL: 'catalog:8082' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      ['INVENTORY_INITIAL_STOCK', 'INVENTORY_SWEEP_MS', 'CATALOG_URL'].every((v) => error.variables.includes(v)) &&
      /INVENTORY_INITIAL_STOCK.*"-5"/.test(error.message),
  );
});
