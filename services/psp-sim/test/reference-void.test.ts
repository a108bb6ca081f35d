// Technical cancel by reference (issue 12, defect 2): a merchant that never saw
// the answer to its authorize can still void it, by the Idempotency-Key it sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PspAuthorizationList, PspReferenceVoid } from '@bazaar/contracts/psp';
import { TEST_CARDS } from '@bazaar/contracts/psp';
import { authorize, newKey, startPsp } from './helpers.ts';

const voidReference = (app: ReturnType<typeof startPsp>, key: string) => app.inject({ method: 'POST', url: `/v1/references/${encodeURIComponent(key)}/void` });

test('voids the authorization made under the reference, idempotently', async () => {
  const app = startPsp();
  const key = newKey();
  const auth = (await authorize(app, { key })).json();
  const first = await voidReference(app, key);
  assert.equal(first.statusCode, 200);
  assert.deepEqual(first.json(), { reference: key, authorization: { ...auth, status: 'voided' } } satisfies PspReferenceVoid);
  assert.equal((await voidReference(app, key)).json().authorization.status, 'voided');
  await app.close();
});

test('before any authorization: answers null, and a later authorize under that reference is refused (402 reference_cancelled)', async () => {
  const app = startPsp();
  const key = newKey();
  assert.deepEqual((await voidReference(app, key)).json(), { reference: key, authorization: null });
  const late = await authorize(app, { key });
  assert.equal(late.statusCode, 402);
  assert.equal(late.json().code, 'reference_cancelled');
  assert.equal(late.json().declineCode, 'reference_cancelled');
  const list = (await app.inject(`/admin/authorizations?idempotencyKey=${key}`)).json() as PspAuthorizationList;
  assert.deepEqual(list.items, []);
  await app.close();
});

test('a declined reference stays declined; a captured one cannot be voided (409)', async () => {
  const app = startPsp();
  const declined = newKey();
  await authorize(app, { key: declined, number: TEST_CARDS.declined });
  assert.equal((await voidReference(app, declined)).json().authorization.status, 'declined');
  const captured = newKey();
  const auth = (await authorize(app, { key: captured })).json();
  await app.inject({ method: 'POST', url: `/v1/authorizations/${auth.id}/capture` });
  const res = await voidReference(app, captured);
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().code, 'invalid_state');
  await app.close();
});
