// Kubernetes manifests: valid YAML, valid objects (kubernetes-models' OpenAPI schemas), hardened, and the overlays build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkObjects, validateObject, type K8sObject } from '../../tools/deploy-gen/src/check-kubernetes.ts';
import { kustomizeOverlay, kustomizeUnavailable, parseYamlStream } from '../../tools/deploy-gen/src/kustomize.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kube = join(root, 'deploy/kubernetes');
const noKubectl = kustomizeUnavailable() ?? false;
if (noKubectl) console.log(`# skipping kustomize builds: ${noKubectl}`);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** Every Kubernetes object written in deploy/kubernetes (kustomization files and overlays' patches are kustomize's, not the API's). */
function writtenObjects(): K8sObject[] {
  return yamlFiles(kube).filter((file) => !relative(kube, file).startsWith('overlays')).flatMap((file) => (parseYamlStream(readFileSync(file, 'utf8'), relative(root, file)) as K8sObject[]).filter((o) => o.kind !== 'Kustomization'));
}

test('every YAML file under deploy/ parses', () => {
  const files = yamlFiles(join(root, 'deploy'));
  assert.ok(files.length >= 5, `only ${files.length} YAML files`);
  for (const file of files) assert.doesNotThrow(() => parseYamlStream(readFileSync(file, 'utf8'), relative(root, file)));
});

test('every object in deploy/kubernetes validates against the Kubernetes schema', () => {
  const objects = writtenObjects();
  assert.ok(objects.some((o) => o.kind === 'Deployment'));
  assert.deepEqual(objects.flatMap(validateObject), []);
});

test('the base meets the hardening rules: probes, resources, security context, HPA, PDB, network policies', () => {
  assert.deepEqual(checkObjects(writtenObjects()), []);
});

test('no Secret is committed: services reference bazaar-secrets by name', () => {
  const objects = writtenObjects();
  assert.deepEqual(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata?.name), []);
  assert.ok(readFileSync(join(kube, 'base/services/catalog.yaml'), 'utf8').includes('name: bazaar-secrets'));
});

test('the schema check rejects a malformed object and an unknown kind', () => {
  const [first] = validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two', selector: {}, template: {} } });
  assert.match(first ?? '', /replicas must be integer/);
  assert.match(validateObject({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } })[0] ?? '', /no Kubernetes schema/);
});

test('the hardening check reports what is wrong', () => {
  const objects = structuredClone(writtenObjects());
  const catalog = objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'catalog') as K8sObject;
  const container = (catalog.spec?.template as { spec: { containers: { securityContext: Record<string, unknown>; resources: Record<string, unknown> }[] } }).spec.containers[0];
  assert.ok(container);
  container.securityContext.readOnlyRootFilesystem = false;
  delete container.resources.limits;
  const hpaIndex = objects.findIndex((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata?.name === 'catalog');
  objects.splice(hpaIndex, 1);
  const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata?.name === 'catalog') as K8sObject;
  (policy.spec as { ingress: unknown[] }).ingress = [{ ports: [{ port: 8080 }] }];
  const problems = checkObjects(objects).join('\n');
  assert.match(problems, /catalog.*readOnlyRootFilesystem must be true/);
  assert.match(problems, /catalog.*resources\.limits\.cpu is missing/);
  assert.match(problems, /Deployment\/catalog: no autoscaling\/v2 HorizontalPodAutoscaler/);
  assert.match(problems, /NetworkPolicy\/catalog: admits traffic from anywhere/);
});

test('network policies: callers of a service are exactly the services that have its URL', () => {
  const policies = writtenObjects().filter((o) => o.kind === 'NetworkPolicy');
  const from = (name: string) => {
    const p = policies.find((o) => o.metadata?.name === name) as K8sObject;
    const rules = (p.spec?.ingress ?? []) as { from?: { podSelector?: { matchLabels?: Record<string, string> } }[] }[];
    return rules.flatMap((r) => (r.from ?? []).map((f) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'])).sort();
  };
  // payments is called by orders (PAYMENTS_URL); psp-sim only by payments (PSP_SIM_URL).
  assert.ok(from('payments').includes('orders'));
  assert.deepEqual(from('psp-sim'), ['payments']);
  // orders' feed is read by cart and notifications; the gateway routes /api/orders to it.
  for (const caller of ['cart', 'gateway', 'notifications']) assert.ok(from('orders').includes(caller), `orders must admit ${caller}`);
});

for (const overlay of ['dev', 'prod']) {
  test(`kubectl kustomize overlays/${overlay} builds, validates and keeps the hardening`, { skip: noKubectl }, () => {
    const objects = kustomizeOverlay(join(kube, 'overlays', overlay));
    assert.deepEqual(objects.flatMap(validateObject), []);
    assert.deepEqual(checkObjects(objects), []);
    const namespaced = objects.filter((o) => o.kind !== 'Namespace');
    assert.deepEqual([...new Set(namespaced.map((o) => o.metadata?.namespace))], [overlay === 'dev' ? 'bazaar-dev' : 'bazaar']);
    // The generated ConfigMaps (shared settings; per service, its callers' digests) get a content hash; every reference must follow it.
    const configMaps = objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata?.name as string);
    assert.equal(configMaps.length, 2, configMaps.join(', '));
    const shared = configMaps.find((n) => n.startsWith('bazaar-config-')) as string;
    const callers = configMaps.find((n) => n.startsWith('bazaar-service-callers-')) as string;
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const refs = JSON.stringify(d).match(/"configMapRef":\{"name":"([^"]+)"/g) ?? [];
      assert.ok(refs.length > 0 && refs.every((r) => r.includes(shared)), `${d.metadata?.name} refers to ${refs.join(', ')}`);
      const keyRefs = JSON.stringify(d).match(/"configMapKeyRef":\{"name":"([^"]+)"/g) ?? [];
      assert.ok(keyRefs.every((r) => r.includes(callers)), `${d.metadata?.name} refers to ${keyRefs.join(', ')}`);
    }
  });
}

test('dev runs one pod per service; prod at least two of each service that may scale, one of a singleton', { skip: noKubectl }, () => {
  const hpas = (overlay: string) => kustomizeOverlay(join(kube, 'overlays', overlay)).filter((o) => o.kind === 'HorizontalPodAutoscaler');
  for (const h of hpas('dev')) assert.equal(h.spec?.maxReplicas, 1, `${h.metadata?.name} in dev`);
  for (const h of hpas('prod')) {
    const singleton = h.metadata?.labels?.['bazaar/scaling'] === 'singleton';
    assert.equal(h.spec?.minReplicas, singleton ? 1 : 2, `${h.metadata?.name} minReplicas in prod`);
    if (singleton) assert.equal(h.spec?.maxReplicas, 1);
  }
});
