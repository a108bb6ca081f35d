import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, configSchema, loadConfig } from '@bazaar/kit';
import { FeedConsumerConfig } from '@bazaar/messaging';
import { ReportsConfig } from '../src/config.ts';

const base = { BAZAAR_SERVICE_CREDENTIAL: 'x'.repeat(16), BAZAAR_SERVICE_CALLERS: '' };

test('config: reports lingers a second on its feeds by default (its DuckDB commits cost more); the others a quarter', () => {
  assert.equal(loadConfig(ReportsConfig, base).EVENT_FEED_LINGER_MS, 1000);
  assert.equal(loadConfig(configSchema({ ...FeedConsumerConfig }), { PORT: '0' }).EVENT_FEED_LINGER_MS, 250, 'the other consumers keep a quarter of a second');
  assert.equal(loadConfig(ReportsConfig, { ...base, EVENT_FEED_LINGER_MS: '0' }).EVENT_FEED_LINGER_MS, 0, 'set, it wins');
  assert.throws(() => loadConfig(ReportsConfig, { ...base, EVENT_FEED_LINGER_MS: '6000' }), (e: unknown) => e instanceof ConfigError && e.variables.includes('EVENT_FEED_LINGER_MS'));
});
