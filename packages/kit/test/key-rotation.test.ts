// Services verify tokens against identity's JWKS themselves (defence in
// depth), so a key rotation must not refuse good tokens there either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, createAuthenticator, identityKeySource, remoteKeys } from '../src/index.ts';
import { manualClock, waitFor } from '../src/testing.ts';

async function key(kid: string): Promise<{ jwk: JWK; privateKey: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }, privateKey };
}

const sign = (privateKey: CryptoKey, kid: string) =>
  new SignJWT({ roles: ['customer'] })
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setSubject('u1')
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);

test('a key rotated in just after a fetch is accepted at once; a made-up key id is still refused, with bounded refetching', async () => {
  const old = await key('k-old');
  const next = await key('k-new');
  let published: JWK[] = [old.jwk];
  let fetches = 0;
  /** While set, the JWKS answer waits for it: callers then miss the key while a refetch is under way. */
  let gate: Promise<void> | undefined;
  const jwks = createServer((_req, res) => {
    fetches += 1;
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published }));
    };
    if (gate) void gate.then(answer);
    else answer();
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  // The refetch cooldown runs on a manual clock: "at once" means within one cooldown of that clock, whatever the machine's load.
  const clock = manualClock();
  const cooldownMs = 1000;
  const keys = identityKeySource({ identityUrl: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`, cooldownMs, clock });
  const auth = createAuthenticator(keys.getKey);
  try {
    assert.equal((await auth.verify(await sign(old.privateKey, 'k-old'))).id, 'u1');
    assert.equal(fetches, 1);
    // identity rotates: the new key is published and tokens signed with it arrive right away.
    published = [old.jwk, next.jwk];
    const t0 = clock.now();
    const tokens = await Promise.all(Array.from({ length: 5 }, () => sign(next.privateKey, 'k-new')));
    // The first caller's miss starts the refetch; the others miss while it is under way (as on a busy machine).
    let open: () => void = () => {};
    gate = new Promise<void>((r) => (open = r));
    const first = auth.verify(tokens[0] as string);
    await waitFor('the refetch to reach the JWKS server', () => fetches === 2, 10_000);
    const rest = tokens.slice(1).map((token) => auth.verify(token));
    await new Promise((r) => setImmediate(r));
    open();
    gate = undefined;
    const results = await Promise.all([first, ...rest]);
    assert.deepEqual(results.map((p) => p.id), ['u1', 'u1', 'u1', 'u1', 'u1']);
    assert.ok(clock.now() - t0 <= cooldownMs, `accepted within the refetch interval (${clock.now() - t0} ms)`);
    assert.equal(fetches, 2, 'one refetch shared by the concurrent callers');
    // A key id identity never published: refused (401), and refetches stay at most one per cooldown.
    const stranger = await key('k-forged');
    const before = fetches;
    for (let i = 0; i < 3; i++) {
      await assert.rejects(auth.verify(await sign(stranger.privateKey, 'k-forged')), (error: unknown) => (error as { status?: number }).status === 401);
    }
    assert.ok(fetches - before <= 3, `${fetches - before} refetches for 3 forged tokens`);
  } finally {
    jwks.close();
  }
});

test('identity scaled: when the first instance cannot answer, the keys come from the next', async () => {
  const k = await key('k1');
  const jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [k.jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const dead = createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  const auth = createAuthenticator(remoteKeys(`${deadUrl},http://127.0.0.1:${(jwks.address() as AddressInfo).port}`));
  try {
    assert.equal((await auth.verify(await sign(k.privateKey, 'k1'))).id, 'u1');
  } finally {
    jwks.close();
  }
});
