/**
 * What payments' domain needs from the outside (ports): its repository,
 * implemented by store/, and the payment provider, implemented by
 * upstream/psp-sim.ts. The domain never imports store/ or upstream/.
 */
import type { PaymentStatus } from '@bazaar/contracts/payments';
import type { EventType, PaymentEventData } from '@bazaar/contracts/events';
import type { PspAuthorization, PspAuthorizeRequest } from '@bazaar/contracts/psp';

/** A payment as the domain sees it. */
export interface PaymentRecord {
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
  status: PaymentStatus;
  pspAuthorizationId: string | null;
  cardLast4: string;
  declineCode: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An event to publish with a status change. */
export interface PaymentEvent {
  type: Extract<EventType, `payments.${string}`>;
  data: PaymentEventData;
}

/** Where payments are kept; a status change and its events are written in one transaction. */
export interface PaymentRepository {
  byOrder(orderId: string): Promise<PaymentRecord | undefined>;
  /** Record the first result for an order; when another request recorded one first, keep theirs. Returns what is stored. */
  insertOnce(p: PaymentRecord): Promise<PaymentRecord>;
  /** Intents (PENDING) recorded before `before` (ISO-8601), oldest first: authorizations whose answer was never recorded. */
  pendingBefore(before: string, limit: number): Promise<PaymentRecord[]>;
  /** Move from `from` to `to` with its events, only while still in `from` (`psp`: what the PSP answered, with the move out of PENDING). Returns the payment as it now is. */
  moveStatus(opts: {
    orderId: string;
    from: PaymentStatus;
    to: PaymentStatus;
    events: PaymentEvent[];
    now: string;
    psp?: { authorizationId: string | null; declineCode: string | null };
  }): Promise<PaymentRecord>;
}

/** What the PSP said about an authorization request. */
export type AuthorizeOutcome =
  | { kind: 'authorized'; authorization: PspAuthorization }
  | { kind: 'declined'; declineCode: string; authorizationId: string | null };

/** An operation on an existing PSP authorization. */
export type PspAction = 'capture' | 'void' | 'refund';

/** The payment provider as the domain sees it. Transient trouble throws (503/504 to our caller). */
export interface PspGateway {
  authorize(orderId: string, request: PspAuthorizeRequest): Promise<AuthorizeOutcome>;
  /** Technical cancel by reference (the orderId): voids what the PSP authorized under it, or makes sure it never will; the authorization as it now is, or null. */
  voidReference(orderId: string): Promise<PspAuthorization | null>;
  /** Capture, void or refund; when the PSP refuses because the authorization is in another state, `applied` is false and that state is returned. */
  act(authorizationId: string, action: PspAction): Promise<{ applied: boolean; authorization: PspAuthorization }>;
}
