/**
 * Service credentials for one launcher run (docs/adr/0090-per-service-credentials.md):
 * a random secret per service and one for the operator's tools, and for
 * every service the digests of the callers it verifies. Written to
 * <data dir>/credentials.json (owner-only) so that local tools and curl can
 * call /internal routes as the operator.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { OPERATOR, callerDigest, formatCallers } from '@bazaar/kit/service-credentials';

export interface RunCredentials {
  /** Service name (and `operator`) → its secret. */
  secrets: Record<string, string>;
  /** Service name → its BAZAAR_SERVICE_CALLERS (the digests of what each caller presents to it). */
  callers: Record<string, string>;
}

/** 32 random bytes, base64url: what production asks of a credential. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * One secret per service. Locally every service verifies every other one and
 * the operator (NetworkPolicies narrow that in Kubernetes); each route's own
 * caller list still decides, so a service a route does not name gets 403.
 * `operatorSecret` fixes the operator's (tests set BAZAAR_OPERATOR_CREDENTIAL).
 */
export function runCredentials(services: readonly string[], operatorSecret?: string): RunCredentials {
  const secrets: Record<string, string> = Object.fromEntries(services.map((name) => [name, newSecret()]));
  secrets[OPERATOR] = operatorSecret || newSecret();
  const callers = Object.fromEntries(
    services.map((to) => [to, formatCallers(Object.fromEntries(Object.entries(secrets).map(([name, secret]) => [name, callerDigest(secret, to)])))]),
  );
  return { secrets, callers };
}

/** Keep the run's secrets where the operator's local tools read them (mode 0600). */
export function writeCredentialsFile(path: string, creds: RunCredentials): void {
  writeFileSync(path, `${JSON.stringify(creds.secrets, null, 2)}\n`, { mode: 0o600 });
}
