import { testLogger } from '@bazaar/kit/testing';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { loadConfig, TOKEN_AUDIENCE, TOKEN_ISSUER, type ServiceApp } from '@bazaar/kit';
import { buildApp } from '../src/app.ts';
import { IdentityConfig } from '../src/config.ts';
import { openIdentityStore, type IdentityStore } from '../src/store/index.ts';

export interface TestIdentity {
  app: ServiceApp;
  store: IdentityStore;
  /** Log lines written while building and serving. */
  lines: string[];
  close(): Promise<void>;
}

/** Build identity over a fresh in-memory store (or the given one), with env-style config overrides. */
export async function startIdentity(opts: { env?: Record<string, string>; store?: IdentityStore; clock?: () => number } = {}): Promise<TestIdentity> {
  const store = opts.store ?? (await openIdentityStore({ dataDir: '', inMemory: true }));
  const lines: string[] = [];
  const config = loadConfig(IdentityConfig, opts.env ?? {});
  const app = await buildApp({ config, store, logger: testLogger(lines), defaultMetrics: false, ...(opts.clock ? { clock: opts.clock } : {}) });
  return {
    app,
    store,
    lines,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const customer = { email: 'sam.shopper@example.com', password: 'correct horse battery staple', name: 'Sam Shopper' };

/** Register a customer, failing loudly if that does not work. */
export async function register(app: ServiceApp, user: { email: string; password: string; name: string } = customer) {
  const res = await app.inject({ method: 'POST', url: '/api/identity/register', payload: user });
  if (res.statusCode !== 202) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  // Registration does not say who the account is (no enumeration): its owner learns the id by logging in.
  const { accessToken } = await login(app, user);
  const me = await app.inject({ url: '/api/identity/me', headers: bearer(accessToken) });
  return me.json() as { id: string; email: string; name: string };
}

export async function login(app: ServiceApp, creds: { email: string; password: string } = customer) {
  const res = await app.inject({ method: 'POST', url: '/api/identity/login', payload: { email: creds.email, password: creds.password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json() as { accessToken: string; refreshToken: string; tokenType: string; expiresIn: number };
}

/** Verify a token the way another service would: against the JSON served at /.well-known/jwks.json. */
export async function verifyWithJwks(app: ServiceApp, token: string) {
  const jwks = (await app.inject('/.well-known/jwks.json')).json();
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, algorithms: ['EdDSA'] });
}

/** A problem body without the per-request parts, for comparing two answers. */
export function withoutRequestId(body: Record<string, unknown>) {
  const { requestId: _requestId, ...rest } = body;
  return rest;
}
