import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { ConfigError, configSchema, loadConfig } from '../src/index.ts';

const schema = configSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9000 }),
  ADMIN_EMAIL: Type.String({ format: 'email' }),
  FEATURE: Type.Boolean({ default: false }),
});

test('defaults apply and strings are coerced to numbers and booleans', () => {
  const config = loadConfig(schema, { ADMIN_EMAIL: 'a@example.com', FEATURE: 'true', PORT: '1234' });
  assert.equal(config.PORT, 1234);
  assert.equal(config.FEATURE, true);
  assert.equal(config.LOG_LEVEL, 'info');
  assert.equal(config.BAZAAR_DATA_DIR, '.bazaar/data');
});

test('an empty variable counts as unset', () => {
  const config = loadConfig(schema, { ADMIN_EMAIL: 'a@example.com', PORT: '' });
  assert.equal(config.PORT, 9000);
});

test('fails fast naming each bad variable and what was given', () => {
  assert.throws(
    () => loadConfig(schema, { PORT: 'eighty', LOG_LEVEL: 'loud', ADMIN_EMAIL: 'a@example.com' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.variables.sort(), ['LOG_LEVEL', 'PORT']);
      assert.match(error.message, /PORT: must be integer, got "eighty"/);
      assert.match(error.message, /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
      return true;
    },
  );
});

test('a missing required variable is named', () => {
  assert.throws(() => loadConfig(schema, {}), /ADMIN_EMAIL: is required/);
});

test('out of range numbers are refused', () => {
  assert.throws(() => loadConfig(schema, { ADMIN_EMAIL: 'a@example.com', PORT: '70000' }), /PORT: must be <= 65535, got "70000"/);
});

test('secrets are never echoed in the error; URL credentials are masked', () => {
  const s = configSchema({ BAZAAR_SERVICE_CREDENTIAL: Type.String({ minLength: 16 }), SMTP_URL: Type.String({ pattern: '^smtps?://' }) });
  assert.throws(
    () => loadConfig(s, { PORT: '1', BAZAAR_SERVICE_CREDENTIAL: 'short-secret', SMTP_URL: 'http://user:hunter2@mail:25' }),
    (error: unknown) => {
      const message = String((error as Error).message);
      assert.match(message, /BAZAAR_SERVICE_CREDENTIAL: .*got "\[hidden\]"/);
      assert.doesNotMatch(message, /short-secret|hunter2/);
      assert.match(message, /SMTP_URL: .*got "http:\/\/\*\*\*@mail:25"/);
      return true;
    },
  );
});
