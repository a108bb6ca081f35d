/**
 * Helpers for tests: a local signing key pair standing in for identity's, so a
 * service's auth can be exercised through inject() without identity running.
 */
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from './auth.ts';
import { createLogger } from './logger.ts';
import { Writable } from 'node:stream';

export interface TestKeys {
  keys: JWTVerifyGetKey;
  /** Sign an access token as identity would. */
  sign(claims: { sub: string; email?: string; roles?: string[] }, opts?: { expiresIn?: string }): Promise<string>;
}

/** Generate an Ed25519 key pair and a JWKS for it. */
export async function createTestKeys(): Promise<TestKeys> {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: TOKEN_ALGORITHM, use: 'sig' };
  return {
    keys: createLocalJWKSet({ keys: [jwk] }),
    sign: (claims, opts) => signWith(privateKey, claims, opts?.expiresIn ?? '5m'),
  };
}

async function signWith(key: CryptoKey, claims: { sub: string; email?: string; roles?: string[] }, expiresIn: string): Promise<string> {
  return new SignJWT({ email: claims.email ?? `${claims.sub}@example.test`, roles: claims.roles ?? ['customer'] })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: 'test-key' })
    .setSubject(claims.sub)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(key);
}

/** A logger that discards everything (or collects lines when `lines` is given). */
export function testLogger(lines?: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines?.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return createLogger({ service: 'test', level: lines ? 'info' : 'silent', destination: sink });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for tests that must know a port before listening). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Poll `probe` every 20 ms until it returns something truthy, and return that.
 * At the deadline fail naming `what` was awaited; an error thrown by `probe`
 * fails at once (a probe that may fail while waiting must catch it itself).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
