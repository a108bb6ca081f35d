// The gateway process with identity scaled: IDENTITY_URL lists several
// instances (as the launcher writes it). Regression: main.ts built the JWKS
// URL with new URL(path, IDENTITY_URL), which throws on a list, so the
// gateway could not start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@bazaar/kit';
import { freePort, waitFor } from '@bazaar/kit/testing';

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

test('IDENTITY_URL listing two identity instances, the first down: the gateway starts and verifies tokens with the other', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  const identity = createServer((req, res) => {
    res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  const catalog = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"items":[]}');
  });
  const identityUrl = await listen(identity);
  const catalogUrl = await listen(catalog);
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      IDENTITY_URL: `http://127.0.0.1:${await freePort()},${identityUrl}`,
      BAZAAR_UPSTREAMS: `catalog=${catalogUrl}`,
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  t.after(() => {
    child.kill('SIGKILL');
    identity.close();
    catalog.close();
  });
  const token = await new SignJWT({ roles: ['customer'] })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setSubject('u1')
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  const status = await waitFor(`the gateway to answer (stderr: ${stderr})`, async () => {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}: ${stderr}`);
    const res = await fetch(`http://127.0.0.1:${port}/api/catalog/products`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    return res?.status;
  }, 30_000);
  assert.equal(status, 200, 'a valid token, verified with the keys of the second identity instance');
  const forged = await fetch(`http://127.0.0.1:${port}/api/catalog/products`, { headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } });
  assert.equal(forged.status, 401);
});
