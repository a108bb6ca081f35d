import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '@bazaar/kit/testing';
import { authorize, newKey, startPsp } from './helpers.ts';

test('a failing call answers 503 problem+json and does nothing; admin and health are never failed', async () => {
  let roll = 0;
  const app = startPsp({ behaviour: { failureRate: 0.5 }, random: () => roll });
  const key = newKey();
  const failed = await authorize(app, { key });
  assert.equal(failed.statusCode, 503);
  assert.equal(failed.json().code, 'simulated_failure');
  assert.equal((await app.inject('/admin/authorizations')).json().items.length, 0, 'nothing was authorized');
  assert.equal((await app.inject('/healthz')).statusCode, 200);
  assert.equal((await app.inject('/admin/config')).statusCode, 200);

  roll = 0.5; // not below the rate: succeeds, and the key was never used, so this is the first authorization
  const ok = await authorize(app, { key });
  assert.equal(ok.statusCode, 201);
  roll = 0.1;
  assert.equal((await app.inject({ method: 'POST', url: `/v1/authorizations/${ok.json().id}/capture` })).statusCode, 503);
  roll = 0.9;
  const after = (await app.inject(`/v1/authorizations/${ok.json().id}`)).json();
  assert.deepEqual([after.status, after.captures], ['authorized', 0], 'the failed capture did nothing');
  await app.close();
});

test('GET/PUT /admin/config change the knobs at run time; latency applies to /v1 calls only', async () => {
  // Latency is waited on a manual clock: the test reads how long the clock moved, not the wall time.
  const clock = manualClock();
  const app = startPsp({ behaviour: { latencyMs: 0, failureRate: 0 }, clock });
  assert.deepEqual((await app.inject('/admin/config')).json(), { latencyMs: 0, failureRate: 0 });
  const put = await app.inject({ method: 'PUT', url: '/admin/config', payload: { latencyMs: 120, failureRate: 0 } });
  assert.equal(put.statusCode, 200);
  assert.deepEqual(put.json(), { latencyMs: 120, failureRate: 0 });
  let started = clock.now();
  assert.equal((await authorize(app, { key: newKey() })).statusCode, 201);
  assert.equal(clock.now() - started, 120, 'the call was slowed');
  started = clock.now();
  await app.inject('/admin/config');
  assert.equal(clock.now() - started, 0, 'admin is not slowed');

  for (const bad of [{ latencyMs: -1, failureRate: 0 }, { latencyMs: 0, failureRate: 1.5 }, { latencyMs: 0 }]) {
    const res = await app.inject({ method: 'PUT', url: '/admin/config', payload: bad });
    assert.equal(res.statusCode, 400, JSON.stringify(bad));
  }
  await app.close();
});

test('failureRate 1 fails every /v1 call; 0 never does', async () => {
  const always = startPsp({ behaviour: { failureRate: 1 }, random: Math.random });
  for (let i = 0; i < 5; i++) assert.equal((await authorize(always, { key: newKey() })).statusCode, 503);
  await always.close();
  const never = startPsp({ behaviour: { failureRate: 0 }, random: () => 0 });
  assert.equal((await authorize(never, { key: newKey() })).statusCode, 201);
  await never.close();
});
