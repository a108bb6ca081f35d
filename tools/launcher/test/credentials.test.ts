// The launcher's per-run credentials (issue 13, item 12; ADR 0090).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPERATOR, audienceSecret, credentialDigest, parseCallers, productionProblems } from '@bazaar/kit';
import { runCredentials, writeCredentialsFile } from '../src/credentials.ts';

test('a secret of its own per service and for the operator; every service gets digests, never secrets', () => {
  const creds = runCredentials(['orders', 'payments', 'cart']);
  const secrets = Object.values(creds.secrets);
  assert.equal(new Set(secrets).size, 4, 'no two share a secret');
  for (const s of secrets) assert.deepEqual(productionProblems({ BAZAAR_SERVICE_CREDENTIAL: s }), [], 'as strong as production asks');
  const callers = parseCallers(creds.callers.payments as string);
  assert.deepEqual([...callers.keys()].sort(), ['cart', OPERATOR, 'orders', 'payments'].sort());
  // payments holds the digest of what orders presents to payments: its secret derived for payments, never the secret.
  assert.equal(callers.get('orders')?.toString('hex'), credentialDigest(audienceSecret(creds.secrets.orders as string, 'payments')));
  assert.notEqual(creds.callers.payments, creds.callers.cart, 'each callee holds digests of secrets derived for it');
  for (const s of secrets) for (const value of Object.values(creds.callers)) assert.ok(!value.includes(s));
  assert.notEqual(runCredentials(['orders']).secrets.orders, creds.secrets.orders, 'new each run');
});

test("BAZAAR_OPERATOR_CREDENTIAL fixes the operator's secret; the file is owner-only", () => {
  const creds = runCredentials(['orders'], 'an-operator-secret-for-tests-0123456789');
  assert.equal(creds.secrets[OPERATOR], 'an-operator-secret-for-tests-0123456789');
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-creds-'));
  try {
    const file = join(dir, 'credentials.json');
    writeCredentialsFile(file, creds);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), creds.secrets);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
