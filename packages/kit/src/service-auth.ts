import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { commonErrors } from './errors.ts';

/** Header carrying the service credential on internal calls. */
export const SERVICE_TOKEN_HEADER = 'x-bazaar-service-token';

/** Config key for services that serve or call /internal endpoints. The launcher generates one per run. */
export const ServiceTokenConfig = {
  BAZAAR_SERVICE_TOKEN: Type.String({ minLength: 16, description: 'Shared credential for internal endpoints (service to service)' }),
};

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * preHandler for internal-only endpoints: the caller must present the service
 * credential. The gateway never routes /internal, and this stops anything else
 * on the network from calling it.
 */
export function requireService(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest): Promise<void> => {
    const given = request.headers[SERVICE_TOKEN_HEADER];
    if (typeof given !== 'string' || given.length === 0) {
      throw commonErrors.UNAUTHENTICATED(`Internal endpoint: send the service credential in ${SERVICE_TOKEN_HEADER}.`);
    }
    // Compare digests so the comparison is constant-time whatever the lengths.
    if (!timingSafeEqual(digest(given), expected)) throw commonErrors.FORBIDDEN('The service credential is not valid.');
  };
}
