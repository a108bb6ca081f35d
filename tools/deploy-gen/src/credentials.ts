/**
 * `npm run credentials`: a new credential for every service that holds one,
 * and for each service the digests of the callers it verifies, derived from
 * the same caller lists as the NetworkPolicies (model.ts credentialCallers).
 * docs/adr/0090-per-service-credentials.md, deploy/README.md.
 *
 *   npm run credentials -- --kubernetes deploy/kubernetes/overlays/prod
 *     writes service-credentials.env (the Secret bazaar-service-credentials, one key per service),
 *     service-callers.env (the ConfigMap bazaar-service-callers) and operator-credential (for the
 *     operator's tools; never in the cluster), all owner-only and ignored by git.
 *   npm run credentials -- --compose >> deploy/.env
 *     prints BAZAAR_CREDENTIAL_<SERVICE> and BAZAAR_CALLERS_<SERVICE> lines, and BAZAAR_OPERATOR_CREDENTIAL.
 *   npm run -s credentials -- --header search [--file .bazaar/credentials.json]
 *     prints the operator's x-bazaar-service-credential value for one service (its secret derived for it),
 *     from the launcher's credentials.json (default) or an operator-credential file.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OPERATOR, audienceSecret, callerDigest, formatCallers } from '@bazaar/kit';
import { credentialVariables, loadServices, type DeployService } from './model.ts';

/** Every service's secret (and the operator's), and every credentialed service's BAZAAR_SERVICE_CALLERS. */
export interface GeneratedCredentials {
  secrets: Map<string, string>;
  callers: Map<string, string>;
}

/** New secrets (32 random bytes each) and the callers' digests each service verifies. */
export function generateCredentials(services: DeployService[], random: (bytes: number) => Buffer = randomBytes): GeneratedCredentials {
  const secrets = new Map<string, string>();
  for (const s of services) if (s.credential) secrets.set(s.name, random(32).toString('base64url'));
  secrets.set(OPERATOR, random(32).toString('base64url'));
  const callers = new Map<string, string>();
  for (const s of services) {
    if (!s.credential) continue;
    const digests: Record<string, string> = {};
    for (const caller of s.credentialCallers) {
      const secret = secrets.get(caller);
      if (secret === undefined) throw new Error(`${s.name} verifies ${caller}, which holds no credential`);
      digests[caller] = callerDigest(secret, s.name);
    }
    callers.set(s.name, formatCallers(digests));
  }
  return { secrets, callers };
}

/** The files of a Kubernetes overlay: what its secretGenerator and configMapGenerator read. */
export function kubernetesFiles(creds: GeneratedCredentials): { credentials: string; callers: string; operator: string } {
  const lines = (m: Map<string, string>) => [...m].map(([k, v]) => `${k}=${v}\n`).join('');
  const services = new Map([...creds.secrets].filter(([name]) => name !== OPERATOR));
  return { credentials: lines(services), callers: lines(creds.callers), operator: `${creds.secrets.get(OPERATOR) as string}\n` };
}

/** The lines for deploy/.env (compose). */
export function composeLines(creds: GeneratedCredentials): string {
  const out: string[] = [];
  for (const [name, secret] of creds.secrets) {
    if (name === OPERATOR) continue;
    out.push(`${credentialVariables(name).credential}=${secret}`);
  }
  for (const [name, callers] of creds.callers) out.push(`${credentialVariables(name).callers}=${callers}`);
  out.push(`BAZAAR_OPERATOR_CREDENTIAL=${creds.secrets.get(OPERATOR) as string}`);
  return `${out.join('\n')}\n`;
}

/** The operator's header value for one service, from the launcher's credentials.json or an operator-credential file. */
export function operatorHeader(file: string, service: string): string {
  const text = file.trim();
  const secret = text.startsWith('{') ? (JSON.parse(text) as Record<string, string>)[OPERATOR] : text;
  if (!secret) throw new Error(`no ${OPERATOR} credential in the file`);
  return `${OPERATOR}:${audienceSecret(secret, service)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { kubernetes: { type: 'string' }, compose: { type: 'boolean', default: false }, header: { type: 'string' }, file: { type: 'string' } } });
  const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
  if (values.header !== undefined) {
    process.stdout.write(`${operatorHeader(readFileSync(values.file ?? join(root, '.bazaar', 'credentials.json'), 'utf8'), values.header)}\n`);
    process.exit(0);
  }
  const { services } = await loadServices(root);
  const creds = generateCredentials(services);
  if (values.kubernetes !== undefined) {
    const dir = resolve(values.kubernetes);
    const files = kubernetesFiles(creds);
    writeFileSync(join(dir, 'service-credentials.env'), files.credentials, { mode: 0o600 });
    writeFileSync(join(dir, 'service-callers.env'), files.callers, { mode: 0o600 });
    writeFileSync(join(dir, 'operator-credential'), files.operator, { mode: 0o600 });
    console.error(`wrote service-credentials.env, service-callers.env and operator-credential in ${dir} (keep operator-credential off the cluster)`);
  } else if (values.compose) {
    process.stdout.write(composeLines(creds));
  } else {
    console.error('usage: npm run credentials -- --kubernetes <overlay dir> | --compose | --header <service> [--file <credentials>]');
    process.exit(2);
  }
}
