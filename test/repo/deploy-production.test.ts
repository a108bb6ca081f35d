// Production safety of the deploy files (issue 13, items 12 and 14–20), checked on
// what is rendered: the prod overlay built by kustomize, compose, the image,
// the CI workflows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { READINESS_TIMEOUT_MS } from '../../packages/kit/src/app.ts';
import { KNOWN_VALUES, productionProblems } from '../../packages/kit/src/production.ts';
import { postgresTarget } from '../../packages/store/src/index.ts';
import type { K8sObject } from '../../tools/deploy-gen/src/check-kubernetes.ts';
import { kustomizeOverlay, kustomizeUnavailable, parseYamlStream } from '../../tools/deploy-gen/src/kustomize.ts';
import { MEASURED_IDLE_RSS_MIB, POSTGRES_BUDGET, loadServices, routeCallerMismatches } from '../../tools/deploy-gen/src/model.ts';
import { composeLines, generateCredentials, kubernetesFiles, operatorHeader } from '../../tools/deploy-gen/src/credentials.ts';
import { OPERATOR, credentialDigest, parseCallers } from '../../packages/kit/src/service-auth.ts';
import { releaseKustomization } from '../../tools/deploy-gen/src/release.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const noKubectl = kustomizeUnavailable() ?? false;
let prodCache: K8sObject[] | undefined;
const prod = () => (prodCache ??= kustomizeOverlay(join(root, 'deploy/kubernetes/overlays/prod')));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

type Container = { name: string; image: string; imagePullPolicy: string; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[]; envFrom?: unknown[]; readinessProbe: { timeoutSeconds: number }; resources: { requests: { cpu: string; memory: string } } };
type PodSpec = { containers: Container[]; topologySpreadConstraints: { topologyKey: string }[] };
const podSpec = (d: K8sObject) => (d.spec?.template as { spec: PodSpec }).spec;
const deployments = () => prod().filter((o) => o.kind === 'Deployment');
const configData = () => (prod().find((o) => o.kind === 'ConfigMap' && o.metadata?.name?.startsWith('bazaar-config')) as K8sObject & { data: Record<string, string> }).data;

test('14. prod: BAZAAR_ENV=production, and every service on PostgreSQL requires BAZAAR_POSTGRES_URL (no silent per-pod SQLite)', { skip: noKubectl }, async () => {
  assert.equal(configData().BAZAAR_ENV, 'production');
  const { services } = await loadServices(root);
  for (const s of services.filter((x) => x.needs.postgres)) {
    const container = podSpec(deployments().find((d) => d.metadata?.name === s.name) as K8sObject).containers[0] as Container;
    const ref = container.env?.find((e) => e.name === 'BAZAAR_POSTGRES_URL')?.valueFrom?.secretKeyRef;
    assert.equal(ref?.optional, false, `${s.name}: BAZAAR_POSTGRES_URL must be required in prod`);
  }
  // And the service itself refuses SQLite in production unless it says it runs alone.
  assert.throws(() => postgresTarget({ service: 'orders', env: 'production' }), /BAZAAR_POSTGRES_URL: is required in production/);
  assert.equal(postgresTarget({ service: 'orders', env: 'production', singleInstance: true }), undefined);
  assert.equal(postgresTarget({ service: 'orders', env: 'development' }), undefined);
});

test('15. prod images come from a configurable registry at a per-commit tag or digest, never bazaar/<svc>:<version>', { skip: noKubectl }, () => {
  for (const d of deployments()) {
    const c = podSpec(d).containers[0] as Container;
    assert.match(c.image, /^registry\.invalid\/bazaar\/[a-z-]+:unreleased$/, `${d.metadata?.name}: unreleased prod points nowhere, not at someone else's namespace`);
    assert.equal(c.imagePullPolicy, 'IfNotPresent', 'immutable per-commit tags or digests: IfNotPresent is exact');
  }
  const release = releaseKustomization({ services: ['catalog', 'orders'], registry: 'ghcr.io/acme/bazaar', tag: '3f2c1a9e0b7d' }) as { images: { newName: string; newTag?: string }[]; resources: string[] };
  assert.deepEqual(release.resources, ['../prod']);
  assert.deepEqual(release.images.map((i) => `${i.newName}:${i.newTag}`), ['ghcr.io/acme/bazaar/catalog:3f2c1a9e0b7d', 'ghcr.io/acme/bazaar/orders:3f2c1a9e0b7d']);
  const pinned = releaseKustomization({ services: ['catalog'], registry: 'ghcr.io/acme/bazaar', digests: new Map([['catalog', `sha256:${'a'.repeat(64)}`]]) }) as { images: { digest?: string }[] };
  assert.equal(pinned.images[0]?.digest, `sha256:${'a'.repeat(64)}`);
  for (const tag of ['latest', '0.1.0', 'unreleased']) assert.throws(() => releaseKustomization({ services: ['catalog'], registry: 'ghcr.io/acme/bazaar', tag }), /one build/);
  assert.throws(() => releaseKustomization({ services: ['catalog'], registry: 'registry.invalid/bazaar', tag: '3f2c1a9e0b7d' }), /your registry/);
});

test('16. CI: tests connect to PostgreSQL as the service container user; payments and notifications workflows watch what their tests start', () => {
  const reusable = parseYamlStream(read('.github/workflows/reusable-node-tests.yml'), 'reusable-node-tests.yml')[0] as { jobs: { test: { services: { postgres: { env: Record<string, string> } }; env: Record<string, string> } } };
  const job = reusable.jobs.test;
  const user = job.services.postgres.env.POSTGRES_USER;
  const testUrl = new URL(job.env.BAZAAR_TEST_POSTGRES_URL as string);
  assert.equal(testUrl.username, user, 'BAZAAR_TEST_POSTGRES_URL (what packages/store/src/testing.ts reads) uses the container user');
  assert.equal(decodeURIComponent(testUrl.password), job.services.postgres.env.POSTGRES_PASSWORD);
  const paths = (file: string) => (parseYamlStream(read(file), file)[0] as { on: { pull_request: { paths: string[] } } }).on.pull_request.paths;
  assert.ok(paths('.github/workflows/service-payments.yml').includes('services/psp-sim/**'));
  assert.ok(paths('.github/workflows/service-notifications.yml').includes('tools/mail-sink/**'));
});

test('17. the PostgreSQL connection budget: every pod of every service at its pool size fits max_connections', { skip: noKubectl }, async () => {
  const pool = Number(configData().BAZAAR_POSTGRES_POOL_SIZE);
  assert.equal(pool, POSTGRES_BUDGET.poolSize);
  const { services } = await loadServices(root);
  const onPostgres = new Set(services.filter((s) => s.needs.postgres).map((s) => s.name));
  const hpas = prod().filter((o) => o.kind === 'HorizontalPodAutoscaler' && onPostgres.has(o.metadata?.name ?? ''));
  assert.equal(hpas.length, onPostgres.size);
  const worst = hpas.reduce((sum, h) => sum + (h.spec?.maxReplicas as number) * pool, 0);
  assert.ok(worst <= POSTGRES_BUDGET.maxConnections - POSTGRES_BUDGET.reserved, `${worst} connections at full scale`);
  assert.match(read('docs/infrastructure.md'), /connection budget/i);
});

test('18. TRUST_PROXY_HOPS is set in prod (one ingress in front) and documented', { skip: noKubectl }, () => {
  assert.equal(configData().TRUST_PROXY_HOPS, '1');
  assert.match(read('deploy/README.md'), /TRUST_PROXY_HOPS/);
});

test('19. egress only to the infrastructure namespace; credentialed URLs only in the Secret; the Secret hash rolls pods', { skip: noKubectl }, () => {
  const infra = prod().find((o) => o.kind === 'NetworkPolicy' && o.metadata?.name === 'allow-infrastructure-egress') as K8sObject;
  const egress = JSON.stringify(infra.spec?.egress);
  assert.ok(!egress.includes('0.0.0.0/0'), 'PostgreSQL/Redis/NATS are not open to the whole internet');
  assert.match(egress, /"kubernetes.io\/metadata.name":"bazaar-infra"/);
  for (const key of Object.keys(configData())) assert.ok(!/_URL$/.test(key), `${key} belongs in the Secret`);
  for (const value of Object.values(configData())) assert.ok(!/:\/\/[^/]*@/.test(value), 'no credentials in the ConfigMap');
  // The shared secrets, and each service's own credential (item 12): both generated, both named by a content hash.
  const secrets = prod().filter((o) => o.kind === 'Secret').map((o) => o.metadata?.name as string).sort();
  assert.equal(secrets.length, 2, secrets.join(', '));
  const [name, credentials] = [secrets.find((n) => n.startsWith('bazaar-secrets-')) as string, secrets.find((n) => n.startsWith('bazaar-service-credentials-')) as string];
  assert.match(name, /^bazaar-secrets-[a-z0-9]{10}$/, 'a content hash in the name: a changed secret is a new name, so pods roll');
  assert.match(credentials, /^bazaar-service-credentials-[a-z0-9]{10}$/, 'new credentials roll the pods too');
  for (const d of deployments()) for (const e of podSpec(d).containers[0]?.env ?? []) if (e.valueFrom?.secretKeyRef) assert.equal(e.valueFrom.secretKeyRef.name, e.name === 'BAZAAR_SERVICE_CREDENTIAL' ? credentials : name, `${d.metadata?.name} ${e.name}`);
  for (const key of ['REDIS_URL', 'NATS_URL']) assert.ok(read('deploy/kubernetes/overlays/prod/secrets.env.example').includes(`${key}=`));
});

test('20. resources from measurements, readiness timeout above the app check, zone spread, recommended labels, image hygiene', { skip: noKubectl }, () => {
  const mib = (q: string) => (q.endsWith('Gi') ? Number(q.slice(0, -2)) * 1024 : Number(q.replace(/Mi$/, '')));
  for (const d of deployments()) {
    const name = d.metadata?.name as string;
    const spec = podSpec(d);
    const c = spec.containers[0] as Container;
    const measured = MEASURED_IDLE_RSS_MIB[name];
    assert.ok(measured !== undefined, `${name}: idle RSS measured`);
    assert.ok(mib(c.resources.requests.memory) >= measured, `${name}: requests ${c.resources.requests.memory} below the ${measured} MiB it uses idle`);
    assert.ok(Number(c.resources.requests.cpu.replace(/m$/, '')) >= 100, `${name}: CPU request ${c.resources.requests.cpu} makes the HPA scale on noise`);
    assert.ok(c.readinessProbe.timeoutSeconds * 1000 > READINESS_TIMEOUT_MS, `${name}: readiness probe gives up before /readyz answers`);
    assert.ok(spec.topologySpreadConstraints.some((t) => t.topologyKey === 'topology.kubernetes.io/zone'), `${name}: zone spread`);
    for (const label of ['name', 'instance', 'version', 'component', 'part-of', 'managed-by']) assert.ok(d.metadata?.labels?.[`app.kubernetes.io/${label}`], `${name}: app.kubernetes.io/${label}`);
  }
  const dockerfile = read('deploy/Dockerfile');
  assert.match(dockerfile, /apt-get clean/);
  assert.match(dockerfile, /--format docker/);
});

test('2. compose runs in production mode and refuses to start without its secrets (${VAR:?}); no credential default anywhere', () => {
  const compose = read('deploy/compose.yaml');
  const [doc] = parseYamlStream(compose, 'compose.yaml') as [{ services: Record<string, { environment?: Record<string, string> }> }];
  for (const [name, svc] of Object.entries(doc.services)) {
    if (!svc.environment?.BAZAAR_SERVICE) continue;
    assert.equal(svc.environment.BAZAAR_ENV, 'production', name);
  }
  for (const key of ['BAZAAR_CREDENTIAL_ORDERS', 'BAZAAR_CALLERS_PAYMENTS', 'ADMIN_PASSWORD', 'POSTGRES_PASSWORD']) {
    assert.match(compose, new RegExp(`\\$\\{${key}:\\?`), `${key} is required`);
    assert.doesNotMatch(compose, new RegExp(`\\$\\{${key}:-`), `${key} has no default`);
  }
});

test('2. every credential-like value written in the repository is refused by the production switch', () => {
  const files = [
    'deploy/compose.yaml',
    'deploy/kubernetes/overlays/prod/secrets.env.example',
    'deploy/kubernetes/overlays/prod/service-credentials.env.example',
    '.github/workflows/reusable-node-tests.yml',
    'services/identity/src/config.ts',
    'packages/kit/src/testing.ts',
    'test/e2e/security.test.ts',
    'test/e2e/gateway-edge.test.ts',
    'README.md',
    'deploy/README.md',
  ];
  const tokens = new Set<string>();
  const passwords = new Set<string>();
  for (const file of files) {
    const text = read(file);
    for (const m of text.matchAll(/(?:SERVICE_CREDENTIAL|BAZAAR_CREDENTIAL_[A-Z_]+|TEST_SERVICE_SECRET)\s*[=:]\s*['"]?([A-Za-z0-9_.~+/-]{6,})/g)) tokens.add(m[1] as string);
    if (file.endsWith('service-credentials.env.example')) for (const m of text.matchAll(/^[a-z-]+=(\S+)$/gm)) tokens.add(m[1] as string);
    for (const m of text.matchAll(/ADMIN_PASSWORD\s*[=:]\s*['"]?([A-Za-z0-9_.~+/-]{6,})/g)) passwords.add(m[1] as string);
    for (const m of text.matchAll(/DEFAULT_ADMIN_PASSWORD = '([^']+)'/g)) passwords.add(m[1] as string);
  }
  assert.ok(tokens.size >= 2 && passwords.size >= 2, `found ${[...tokens, ...passwords].join(', ')}`);
  for (const value of tokens) assert.ok(productionProblems({ BAZAAR_SERVICE_CREDENTIAL: value }).length > 0, `service credential "${value}" would be accepted`);
  // The committed callers' example carries placeholders, never digests production would accept.
  for (const m of read('deploy/kubernetes/overlays/prod/service-callers.env.example').matchAll(/^([a-z-]+)=(\S+)$/gm)) {
    assert.ok(productionProblems({ BAZAAR_SERVICE_CALLERS: m[2] as string }).length > 0, `${m[1]}: the example callers would be accepted`);
  }
  for (const value of passwords) assert.ok(productionProblems({ ADMIN_PASSWORD: value }).length > 0, `admin password "${value}" would be accepted`);
  assert.ok(KNOWN_VALUES.includes('bazaar-admin-password'));
  // A real secret passes; the edge needs TLS or a trusted proxy.
  assert.deepEqual(productionProblems({ BAZAAR_SERVICE_CREDENTIAL: 'Vx9kQ2mZr7LtB4nH8sYcW1pJd6fGa3eU5oRiT0qNzKb', ADMIN_PASSWORD: 'a long and private passphrase' }), []);
  assert.match(productionProblems({ TRUST_PROXY_HOPS: 0, TLS_PORT: 8443 })[0]?.variable ?? '', /TRUST_PROXY_HOPS/);
  assert.deepEqual(productionProblems({ TRUST_PROXY_HOPS: 1, TLS_PORT: 8443 }), []);
});

test('12. prod: each service reads its own credential (its key of bazaar-service-credentials) and the digests of the callers its NetworkPolicy admits', { skip: noKubectl }, async () => {
  const { services } = await loadServices(root);
  const generated = generateCredentials(services);
  const policies = prod().filter((o) => o.kind === 'NetworkPolicy');
  const ingressFrom = (name: string) => {
    const p = policies.find((o) => o.metadata?.name === name) as K8sObject;
    const rules = (p.spec?.ingress ?? []) as { from?: { podSelector?: { matchLabels?: Record<string, string> } }[] }[];
    return rules.flatMap((r) => (r.from ?? []).map((f) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? '?'));
  };
  const credentialed = services.filter((s) => s.credential);
  assert.ok(credentialed.some((s) => s.name === 'payments') && credentialed.some((s) => s.name === 'orders'));
  for (const s of credentialed) {
    const container = podSpec(deployments().find((d) => d.metadata?.name === s.name) as K8sObject).containers[0] as Container;
    const byName = new Map((container.env ?? []).map((e) => [e.name, e]));
    const own = byName.get('BAZAAR_SERVICE_CREDENTIAL')?.valueFrom?.secretKeyRef;
    assert.ok(own?.name.startsWith('bazaar-service-credentials'), `${s.name}: its credential comes from the credentials Secret`);
    assert.equal(own?.key, s.name, `${s.name} reads its own key only`);
    assert.equal(own?.optional, false);
    const callers = (byName.get('BAZAAR_SERVICE_CALLERS')?.valueFrom as { configMapKeyRef?: { name: string; key: string } } | undefined)?.configMapKeyRef;
    assert.ok(callers?.name.startsWith('bazaar-service-callers'), `${s.name}: callers' digests come from their ConfigMap`);
    assert.equal(callers?.key, s.name);
    // The callers it verifies are the services its NetworkPolicy admits (those holding a credential), and the operator's tools.
    const admitted = ingressFrom(s.name).filter((c) => credentialed.some((o) => o.name === c)).sort();
    const verified = [...parseCallers(generated.callers.get(s.name) as string).keys()];
    assert.deepEqual(verified.filter((c) => c !== OPERATOR).sort(), admitted, `${s.name}: verified callers = NetworkPolicy callers`);
    assert.ok(verified.includes(OPERATOR));
  }
  // No pod reads another service's credential, and the shared token is gone.
  for (const d of deployments()) {
    for (const e of podSpec(d).containers[0]?.env ?? []) {
      assert.notEqual(e.name, 'BAZAAR_SERVICE_TOKEN', `${d.metadata?.name ?? ''} still reads the shared token`);
      if (e.valueFrom?.secretKeyRef?.name.startsWith('bazaar-service-credentials')) assert.equal(e.valueFrom.secretKeyRef.key, d.metadata?.name);
    }
  }
  // Every caller a route descriptor names is one its service verifies (payments' capture: orders; the operator reads).
  assert.deepEqual(routeCallerMismatches(services), []);
  assert.ok(parseCallers(generated.callers.get('payments') as string).has('orders'));
  assert.ok(!parseCallers(generated.callers.get('payments') as string).has('cart'), 'cart has no PAYMENTS_URL: payments does not even verify it');
});

test('12. npm run credentials: a fresh 32-byte secret per service, digests only in the callers, the operator kept off the cluster', async () => {
  const { services } = await loadServices(root);
  const a = generateCredentials(services);
  const b = generateCredentials(services);
  for (const [name, secret] of a.secrets) {
    assert.deepEqual(productionProblems({ BAZAAR_SERVICE_CREDENTIAL: secret }), [], `${name}'s generated credential passes production`);
    assert.notEqual(secret, b.secrets.get(name), 'new secrets each run');
  }
  assert.equal(new Set(a.secrets.values()).size, a.secrets.size, 'no two services share a secret');
  const files = kubernetesFiles(a);
  assert.doesNotMatch(files.credentials, new RegExp(`^${OPERATOR}=`, 'm'), "the operator's secret is not in the cluster Secret");
  for (const secret of a.secrets.values()) assert.ok(!files.callers.includes(secret), 'the callers file holds digests, never secrets');
  for (const [name, callers] of a.callers) assert.deepEqual(productionProblems({ BAZAAR_SERVICE_CALLERS: callers }), [], name);
  // The operator's header for one service, from the launcher's file or the overlay's operator-credential.
  const operator = a.secrets.get(OPERATOR) as string;
  const digestAtSearch = parseCallers(a.callers.get('search') as string).get(OPERATOR)?.toString('hex');
  for (const file of [JSON.stringify({ [OPERATOR]: operator, orders: 'x' }), `${operator}\n`]) {
    const header = operatorHeader(file, 'search');
    assert.equal(credentialDigest(header.slice(`${OPERATOR}:`.length)), digestAtSearch, 'search verifies what the operator presents to it');
  }
  const compose = composeLines(a);
  assert.match(compose, /^BAZAAR_CREDENTIAL_PAYMENTS=\S{43}$/m);
  assert.match(compose, /^BAZAAR_CALLERS_PAYMENTS=orders:[0-9a-f]{64},/m);
});
