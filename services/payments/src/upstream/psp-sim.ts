import { UpstreamError, commonErrors, type ServiceClient } from '@bazaar/kit';
import { routes, type PspAuthorization, type PspAuthorizeRequest } from '@bazaar/contracts/psp';
import { errors } from '../errors.ts';
import type { AuthorizeOutcome, PspAction, PspGateway } from '../domain/model.ts';

/**
 * payments' view of the PSP, over the kit's client (timeout per attempt,
 * retries, circuit breaker). Every call is safe to retry: authorize carries
 * the orderId as Idempotency-Key, and capture/void/refund are idempotent at
 * the PSP. Transient trouble becomes 503/504 for our caller to retry.
 */
export function pspGateway(client: ServiceClient): PspGateway {
  /** PSP 5xx (after retries) is an outage to us: 503, not the kit's generic 502. */
  function transient(error: unknown): unknown {
    if (error instanceof UpstreamError && error.upstreamStatus >= 500) {
      return commonErrors.UPSTREAM_UNAVAILABLE(`The payment provider is unavailable (it answered ${error.upstreamStatus}); retry later.`);
    }
    return error;
  }

  return {
    async authorize(orderId: string, request: PspAuthorizeRequest): Promise<AuthorizeOutcome> {
      try {
        // Retried on a timeout (the route is idempotent) only because of the Idempotency-Key: a retry returns the PSP's first authorization.
        const res = await client.call(routes.authorize, { headers: { 'idempotency-key': orderId }, body: request });
        return { kind: 'authorized', authorization: res.body };
      } catch (error) {
        if (error instanceof UpstreamError) {
          const problem = error.problem ?? {};
          const code = typeof problem.code === 'string' ? problem.code : undefined;
          // The issuer's refusals are 402; a number the network cannot read (400 invalid_number) is a refusal to our caller too.
          if (error.upstreamStatus === 402 || (error.upstreamStatus === 400 && code === 'invalid_number')) {
            const declineCode = typeof problem.declineCode === 'string' ? problem.declineCode : (code ?? 'card_declined');
            const authorizationId = typeof problem.authorizationId === 'string' ? problem.authorizationId : null;
            return { kind: 'declined', declineCode, authorizationId };
          }
          if (error.upstreamStatus === 422) {
            throw errors.PAYMENT_MISMATCH(`Order ${orderId} is already being authorized with a different amount or card; retry with the same details.`);
          }
        }
        throw transient(error);
      }
    },

    /**
     * Technical cancel by reference (the orderId, our Idempotency-Key): voids
     * what the PSP authorized under it even when we never saw the answer, and
     * when it authorized nothing, makes sure it never will. Returns the
     * authorization as it now is, or null when there is none.
     */
    async voidReference(orderId: string): Promise<PspAuthorization | null> {
      try {
        const res = await client.call(routes.voidReference, { params: { reference: orderId } });
        return res.body.authorization;
      } catch (error) {
        // 409: what is authorized under the reference was captured, so it cannot be voided.
        if (error instanceof UpstreamError && error.upstreamStatus === 409) {
          throw errors.INVALID_TRANSITION(`The payment of order ${orderId} was captured at the payment provider; it cannot be voided (refund it).`);
        }
        throw transient(error);
      }
    },

    /**
     * Capture, void or refund at the PSP. When the PSP refuses because the
     * authorization is in another state, returns that state (read back) so
     * the caller can catch up with what really happened.
     */
    async act(authorizationId: string, action: PspAction): Promise<{ applied: boolean; authorization: PspAuthorization }> {
      const params = { id: authorizationId };
      try {
        const res = await client.call(routes[action], { params });
        return { applied: true, authorization: res.body };
      } catch (error) {
        if (!(error instanceof UpstreamError) || error.upstreamStatus !== 409) throw transient(error);
      }
      try {
        const res = await client.call(routes.get, { params });
        return { applied: false, authorization: res.body };
      } catch (error) {
        throw transient(error);
      }
    },
  };
}

