import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { PspAuthorization, PspAuthorizationRecord, PspAuthorizeRequest } from '@bazaar/contracts/psp';
import { errors } from '../errors.ts';
import { assessCard } from './cards.ts';

/** An operation on an existing authorization. */
export type Action = 'capture' | 'void' | 'refund';

interface Entry {
  auth: PspAuthorization;
  idempotencyKey: string;
  /** Keyed hash of the request (amount, currency, card number and expiry; never the CVC): tells a replay from a reuse. */
  fingerprint: string;
  createdAt: string;
}

/** Each action: the state it starts from, the state it ends in (doing it again in that state is a no-op). */
const TRANSITIONS: Record<Action, { from: PspAuthorization['status']; to: PspAuthorization['status'] }> = {
  capture: { from: 'authorized', to: 'captured' },
  void: { from: 'authorized', to: 'voided' },
  refund: { from: 'captured', to: 'refunded' },
};

/**
 * The simulated network's book of authorizations, in memory: it lives as
 * long as the process (a restart forgets everything, which is fine for a
 * stand-in). Every method runs synchronously once called, so a check and the
 * write that follows cannot interleave with another request: two concurrent
 * calls with one Idempotency-Key get one authorization.
 */
export function createLedger(deps: { now?: () => Date; newId?: () => string } = {}) {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? (() => `auth_${randomUUID().replaceAll('-', '')}`);
  // Fingerprints are HMACs under a per-process secret, so even a hash of a card number never leaves this process in a guessable form.
  const secret = randomBytes(32);
  const byId = new Map<string, Entry>();
  const byKey = new Map<string, Entry>();
  /** References (Idempotency-Keys) voided before anything was authorized under them: nothing may be, ever. */
  const cancelledKeys = new Set<string>();

  const fingerprintOf = (req: PspAuthorizeRequest) =>
    createHmac('sha256', secret)
      .update(JSON.stringify([req.amount, req.currency, req.card.number, req.card.expMonth, req.card.expYear]))
      .digest('hex');

  /** Declined authorizations are kept too; answering them is the caller's job, here they become coded errors. */
  function settle(entry: Entry, created: boolean): { auth: PspAuthorization; created: boolean } {
    const { auth } = entry;
    if (auth.status === 'declined') {
      const code = (auth.declineCode ?? 'card_declined') as 'card_declined' | 'insufficient_funds' | 'expired_card';
      throw errors[code](`The issuer declined this card (${code}).`, { declineCode: code, authorizationId: auth.id });
    }
    return { auth: { ...auth }, created };
  }

  function find(id: string): Entry {
    const entry = byId.get(id);
    if (!entry) throw errors.authorization_not_found(`No authorization has id ${id}.`);
    return entry;
  }

  /** Capture, void or refund; repeating an action that already happened returns the same state and moves no money. */
  function act(id: string, action: Action): PspAuthorization {
    const entry = find(id);
    const { from, to } = TRANSITIONS[action];
    if (entry.auth.status === to) return { ...entry.auth };
    if (entry.auth.status !== from) {
      throw errors.invalid_state(`Cannot ${action} an authorization that is ${entry.auth.status}; ${action} needs ${from}.`, { authorizationStatus: entry.auth.status });
    }
    entry.auth = { ...entry.auth, status: to, ...(action === 'capture' ? { captures: entry.auth.captures + 1 } : {}) };
    return { ...entry.auth };
  }

  return {
    /**
     * Authorize once per Idempotency-Key: the same key and request return the
     * first result (created: false), a different request under a used key is
     * refused. Declines are recorded and thrown as 402 errors.
     */
    authorize(idempotencyKey: string, req: PspAuthorizeRequest): { auth: PspAuthorization; created: boolean } {
      const fingerprint = fingerprintOf(req);
      const seen = byKey.get(idempotencyKey);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw errors.idempotency_key_reused('Send a new Idempotency-Key for a different amount, currency or card; reuse a key only to retry the same request.');
        }
        return settle(seen, false);
      }
      // A technical cancel came first (the merchant gave up waiting): refuse, so no authorization is left open behind its back.
      if (cancelledKeys.has(idempotencyKey)) {
        throw errors.reference_cancelled('This reference was voided before it was authorized; nothing was held on the card.', { declineCode: 'reference_cancelled', authorizationId: null });
      }
      const verdict = assessCard(req.card, now());
      // An unreadable number never reaches an issuer: nothing is recorded, so a corrected retry may reuse the key.
      if (verdict.kind === 'invalid_number') throw errors.invalid_number('The card number fails the Luhn check; check the digits.');
      const auth: PspAuthorization = {
        id: newId(),
        status: verdict.kind === 'approve' ? 'authorized' : 'declined',
        amount: req.amount,
        currency: req.currency,
        last4: req.card.number.slice(-4),
        ...(verdict.kind === 'decline' ? { declineCode: verdict.code } : {}),
        captures: 0,
      };
      const entry: Entry = { auth, idempotencyKey, fingerprint, createdAt: now().toISOString() };
      byId.set(auth.id, entry);
      byKey.set(idempotencyKey, entry);
      return settle(entry, true);
    },

    get(id: string): PspAuthorization {
      return { ...find(id).auth };
    },

    act,

    /**
     * Technical cancel by reference (the merchant's Idempotency-Key), for a
     * merchant that never saw the answer to its authorize: voids the
     * authorization made under it, or, when there is none yet, makes sure none
     * will be (a later authorize under the key is refused). Returns the
     * authorization as it now is, or null when nothing was ever authorized.
     * A captured one cannot be voided: 409.
     */
    voidReference(idempotencyKey: string): PspAuthorization | null {
      const entry = byKey.get(idempotencyKey);
      if (!entry) {
        cancelledKeys.add(idempotencyKey);
        return null;
      }
      if (entry.auth.status === 'declined' || entry.auth.status === 'voided') return { ...entry.auth };
      return act(entry.auth.id, 'void');
    },

    /** Every authorization in creation order, optionally only those of one Idempotency-Key. */
    list(idempotencyKey?: string): PspAuthorizationRecord[] {
      return [...byId.values()]
        .filter((e) => idempotencyKey === undefined || e.idempotencyKey === idempotencyKey)
        .map((e) => ({ ...e.auth, idempotencyKey: e.idempotencyKey, createdAt: e.createdAt }));
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;
