/**
 * Helpers for tests: a local signing key pair standing in for identity's, so a
 * service's auth can be exercised through inject() without identity running.
 */
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from './auth.ts';
import type { Clock } from './clock.ts';
import { createLogger } from './logger.ts';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { startTelemetry } from './telemetry.ts';
import { OPERATOR, SERVICE_CREDENTIAL_HEADER, audienceSecret, callerDigest, formatCallers, serviceCredentials, type ServiceCredentials } from './service-auth.ts';

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
 * Poll `probe` every 20 ms until it returns something truthy, and return that
 * (default deadline 15 s: generous, for a loaded machine; it costs nothing when the probe answers sooner).
 * At the deadline fail naming `what` was awaited; an error thrown by `probe`
 * fails at once (a probe that may fail while waiting must catch it itself).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Clock that moves only when told to, or (by default) when everything left waits on it. */
export interface ManualClock extends Clock {
  /** Move time forward by `ms`, waking the sleepers due by then. */
  advance(ms: number): void;
  /** How many sleepers are waiting on this clock. */
  pending(): number;
}

/**
 * A manual clock for tests of time-dependent code. Time stands still while
 * the test runs; once the sleepers are all that is left of the current turn
 * of the event loop, it jumps to the earliest wake-up and wakes who is due
 * (sleepers that overlap wake together, as on a real clock, without the
 * wall-time wait). With `autoAdvance: false` time moves only on advance(),
 * for code that polls (the test steps it: advance when pending() > 0).
 * Assert on `now()` differences, never on wall time.
 */
export function manualClock(opts: { start?: number; autoAdvance?: boolean } = {}): ManualClock {
  let now = opts.start ?? Date.UTC(2026, 0, 1);
  const autoAdvance = opts.autoAdvance ?? true;
  let sleepers: { at: number; wake: () => void }[] = [];
  let scheduled = false;
  const wakeDue = () => {
    const due = sleepers.filter((s) => s.at <= now);
    sleepers = sleepers.filter((s) => s.at > now);
    for (const s of due) s.wake();
  };
  const jumpSoon = () => {
    if (scheduled || !autoAdvance) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (sleepers.length === 0) return;
      now = Math.max(now, Math.min(...sleepers.map((s) => s.at)));
      wakeDue();
      if (sleepers.length > 0) jumpSoon();
    });
  };
  return {
    now: () => now,
    advance(ms) {
      now += ms;
      wakeDue();
    },
    pending: () => sleepers.length,
    sleep: (ms) =>
      new Promise<void>((wake) => {
        sleepers.push({ at: now + Math.max(0, ms), wake });
        jumpSoon();
      }),
  };
}

/**
 * Run `fn` with setTimeout frozen (node:test's mock timers) and return its
 * result: proof that it answers without waiting on any backoff, timeout or
 * delay, without timing it. If it does wait, fail after `boundMs` of real time
 * saying what should not have waited.
 */
export async function withoutWaiting<T>(t: TestContext, what: string, fn: () => Promise<T>, boundMs = 30_000): Promise<T> {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  let bound: NodeJS.Timeout | undefined;
  t.mock.timers.enable({ apis: ['setTimeout'] });
  try {
    return await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        bound = realSetTimeout(() => reject(new Error(`${what} waited on a timer: no answer within ${boundMs} ms with timers frozen`)), boundMs);
      }),
    ]);
  } finally {
    t.mock.timers.reset();
    realClearTimeout(bound);
  }
}
/** A span as tests look at it. */
export interface CapturedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  status: number;
  /** Start and end, ms since epoch. */
  start: number;
  end: number;
}

/**
 * Record every span of this process in memory (sampling everything), for
 * tests that check what a service traces. Replaces any exporter started before.
 */
export function captureSpans(): { spans(): CapturedSpan[]; clear(): void } {
  const exporter = new InMemorySpanExporter();
  startTelemetry({
    service: 'test',
    config: { OTEL_SDK_DISABLED: false, OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: 1 },
    processor: new SimpleSpanProcessor(exporter),
  });
  return {
    spans: () =>
      exporter.getFinishedSpans().map((s) => ({
        name: s.name,
        kind: s.kind,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        attributes: { ...s.attributes },
        status: s.status.code,
        start: hrTimeToMilliseconds(s.startTime),
        end: hrTimeToMilliseconds(s.endTime),
      })),
    clear: () => exporter.reset(),
  };
}

/** The secret every service uses in unit tests (the production switch refuses it, and any caller accepted with it). */
export const TEST_SERVICE_SECRET = 'bazaar-test-credential-0123456789abcdef';

/** Every caller a test service accepts the test secret from: the services that call /internal routes, and the operator. */
const TEST_CALLERS = ['cart', 'catalog', 'gateway', 'identity', 'inventory', 'notifications', 'orders', 'payments', 'reports', 'search', 'storefront', OPERATOR];

/**
 * Credentials for a service under test: it calls as `name`, and accepts any
 * known caller presenting TEST_SERVICE_SECRET, so which caller a route admits
 * is decided by the route's own list, as in production.
 */
export function testCredentials(name: string): ServiceCredentials {
  return serviceCredentials(name, testCredentialEnv(name));
}

/** The same, as the environment of the service `name` started alone in a test (BAZAAR_SERVICE_CREDENTIAL, BAZAAR_SERVICE_CALLERS). */
export function testCredentialEnv(name: string): { BAZAAR_SERVICE_CREDENTIAL: string; BAZAAR_SERVICE_CALLERS: string } {
  const digest = callerDigest(TEST_SERVICE_SECRET, name);
  return { BAZAAR_SERVICE_CREDENTIAL: TEST_SERVICE_SECRET, BAZAAR_SERVICE_CALLERS: formatCallers(Object.fromEntries(TEST_CALLERS.map((c) => [c, digest]))) };
}

/** The credential header a test sends to call an /internal route of the service `to` as `caller` (default: the operator); `secret` replaces the right one. */
export function callAs(to: string, caller: string = OPERATOR, secret?: string): Record<string, string> {
  return { [SERVICE_CREDENTIAL_HEADER]: `${caller}:${secret ?? audienceSecret(TEST_SERVICE_SECRET, to)}` };
}
