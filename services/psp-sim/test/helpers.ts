import { testLogger } from '@bazaar/kit/testing';
import type { Clock, ServiceApp } from '@bazaar/kit';
import type { PspConfig } from '@bazaar/contracts/psp';
import { buildApp } from '../src/app.ts';

/** A psp-sim app; `random` decides failures (default: never below any rate < 1). */
export function startPsp(opts: { behaviour?: Partial<PspConfig>; random?: () => number; now?: () => Date; clock?: Clock } = {}): ServiceApp {
  return buildApp({
    logger: testLogger(),
    behaviour: { latencyMs: 0, failureRate: 0, ...opts.behaviour },
    defaultMetrics: false,
    random: opts.random ?? (() => 0.999_999),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.clock ? { sleep: opts.clock.sleep } : {}),
  });
}

export const card = (number = '4242424242424242', exp: { expMonth?: number; expYear?: number } = {}) => ({
  number,
  expMonth: exp.expMonth ?? 12,
  expYear: exp.expYear ?? 2099,
  cvc: '123',
});

let keys = 0;
/** A fresh Idempotency-Key per call site. */
export const newKey = () => `key-${process.pid}-${++keys}`;

export function authorize(app: ServiceApp, opts: { key?: string | undefined; amount?: number; currency?: string; number?: string; exp?: { expMonth?: number; expYear?: number } } = {}) {
  return app.inject({
    method: 'POST',
    url: '/v1/authorizations',
    headers: opts.key === undefined ? {} : { 'idempotency-key': opts.key },
    payload: { amount: opts.amount ?? 2599, currency: opts.currency ?? 'EUR', card: card(opts.number, opts.exp) },
  });
}
