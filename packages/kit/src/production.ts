import { callerDigest, credentialDigest, parseCallers } from './service-auth.ts';

/**
 * The production switch (BAZAAR_ENV=production, set by compose and the prod
 * overlay): settings that are fine on a laptop and wrong anywhere else make a
 * service refuse to start, naming the variable. See docs/security.md.
 */

/**
 * Every credential-like value written in this repository (defaults, compose
 * fallbacks, examples, tests). A repository test scans the sources and fails
 * when it finds one that the production check would accept.
 */
export const KNOWN_VALUES: readonly string[] = [
  'bazaar-admin-password',
  'compose-only-service-token-change-me',
  // The tests' service secret (TEST_SERVICE_SECRET in @bazaar/kit/testing).
  'bazaar-test-credential-0123456789abcdef',
  'bazaar-compose-only',
  'change-me',
  'changeme',
  'replace-with',
  'bazaar-storefront-development-cookie-secret',
  'replace-me',
];

/** A service credential must carry at least 32 random bytes: 43 characters of base64url (or 64 of hex). */
export const MIN_SERVICE_CREDENTIAL_LENGTH = 43;

/** Every name a caller's secret may be derived for (the services, the tests' stand-ins). */
const AUDIENCES = ['cart', 'catalog', 'gateway', 'identity', 'inventory', 'notifications', 'orders', 'payments', 'psp-sim', 'reports', 'search', 'storefront', 'stand-in', 'producer', 'p'];

/** What a service would hold for a caller whose credential is a repository value (the tests' secret among them): no caller may be accepted with one. */
const KNOWN_DIGESTS: ReadonlySet<string> = new Set(KNOWN_VALUES.flatMap((value) => [credentialDigest(value), ...AUDIENCES.map((audience) => callerDigest(value, audience))]));

/** One production rule's verdict on a config, or undefined when it holds. */
export interface ProductionProblem {
  variable: string;
  message: string;
}

function looksRandom(value: string): boolean {
  // 32 random bytes in base64url/hex use many distinct characters; "aaaa…" or a repeated word does not.
  return new Set(value).size >= 16;
}

function known(value: string): boolean {
  const lower = value.toLowerCase();
  return KNOWN_VALUES.some((k) => lower === k || lower.includes(k));
}

/**
 * The production rules, applied to a parsed config by loadConfig when
 * BAZAAR_ENV=production. Rules apply to the variables a service's schema
 * has; a service without them is not concerned.
 */
export function productionProblems(values: Record<string, unknown>): ProductionProblem[] {
  const problems: ProductionProblem[] = [];
  const credential = values.BAZAAR_SERVICE_CREDENTIAL;
  if (typeof credential === 'string') {
    if (credential.length < MIN_SERVICE_CREDENTIAL_LENGTH || !looksRandom(credential)) {
      problems.push({ variable: 'BAZAAR_SERVICE_CREDENTIAL', message: `must be at least 32 random bytes (\`npm run credentials\` generates one per service, ${MIN_SERVICE_CREDENTIAL_LENGTH}+ characters) in production` });
    } else if (known(credential)) {
      problems.push({ variable: 'BAZAAR_SERVICE_CREDENTIAL', message: 'is a value written in the Bazaar repository; generate new ones for production (`npm run credentials`)' });
    }
  }
  const callers = values.BAZAAR_SERVICE_CALLERS;
  if (typeof callers === 'string') {
    try {
      // A caller whose credential is a repository value (a test's, an example's) would let anyone holding the repository in.
      const weak = [...parseCallers(callers)].filter(([, digest]) => KNOWN_DIGESTS.has(digest.toString('hex'))).map(([name]) => name);
      if (weak.length > 0) problems.push({ variable: 'BAZAAR_SERVICE_CALLERS', message: `accepts a credential written in the Bazaar repository for ${weak.join(', ')}; generate new ones for production (\`npm run credentials\`)` });
    } catch (error) {
      problems.push({ variable: 'BAZAAR_SERVICE_CALLERS', message: (error as Error).message });
    }
  }
  const password = values.ADMIN_PASSWORD;
  if (typeof password === 'string' && (known(password) || password.length < 12)) {
    problems.push({ variable: 'ADMIN_PASSWORD', message: 'is the documented default, a value from the repository or shorter than 12 characters; set your own for production' });
  }
  const cookie = values.COOKIE_SECRET;
  if (typeof cookie === 'string' && (known(cookie) || cookie.length < 32 || !looksRandom(cookie))) {
    problems.push({ variable: 'COOKIE_SECRET', message: 'is the development default, a value from the repository, or not 32+ random characters; set your own for production' });
  }
  // The edge: clients' addresses (rate limits, login throttling) and confidentiality need TLS here or a trusted proxy in front.
  if ('TRUST_PROXY_HOPS' in values && 'TLS_PORT' in values) {
    const hops = values.TRUST_PROXY_HOPS;
    if (values.TLS_CERT_FILE === undefined && (typeof hops !== 'number' || hops < 1)) {
      problems.push({ variable: 'TRUST_PROXY_HOPS', message: 'production needs TLS at the gateway (TLS_CERT_FILE, TLS_KEY_FILE) or a TLS-terminating proxy in front (TRUST_PROXY_HOPS >= 1)' });
    }
  }
  return problems;
}
