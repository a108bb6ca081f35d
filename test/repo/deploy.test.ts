// Deploy files cover every service and are what the generator makes of services/ today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, staleFiles } from '../../tools/deploy-gen/src/generate.ts';
import { loadServices } from '../../tools/deploy-gen/src/model.ts';
import { checkDeployment, type K8sObject } from '../../tools/deploy-gen/src/check-kubernetes.ts';
import { kustomizeOverlay, kustomizeUnavailable, parseYamlStream } from '../../tools/deploy-gen/src/kustomize.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Read the folder itself, not the generator's view of it: a service the generator missed must fail here.
const services = readdirSync(join(root, 'services'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'services', d.name, 'package.json')))
  .map((d) => d.name);
const noKubectl = kustomizeUnavailable() ?? false;

/** Services that have a Deployment with both probes, and the ones that do not. */
function coverage(objects: K8sObject[]) {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const missing = services.filter((name) => !deployments.some((d) => d.metadata?.name === name));
  const unprobed = deployments.flatMap((d) => checkDeployment(d).filter((p) => /Probe/.test(p)));
  return { missing, unprobed };
}

test('the generated deploy files are up to date (npm run deploy:gen)', async () => {
  const { files } = await generate(root);
  assert.deepEqual(staleFiles(root, files), [], 'run `npm run deploy:gen` and commit the result');
});

test('the freshness check notices a generated file that was edited by hand', async () => {
  const { files } = await generate(root);
  const edited = new Map(files);
  const [first] = files.keys();
  edited.set(first as string, `${files.get(first as string)}# edited\n`);
  assert.deepEqual(staleFiles(root, edited), [first]);
});

test('every service in services/ is in compose', () => {
  assert.ok(services.length >= 3);
  const [compose] = parseYamlStream(readFileSync(join(root, 'deploy/compose.yaml'), 'utf8'), 'compose.yaml') as [{ services: Record<string, unknown> }];
  assert.deepEqual(services.filter((s) => !compose.services[s]), [], 'services missing from deploy/compose.yaml');
});

test('every service in services/ has a base Deployment with readiness and liveness probes', () => {
  const objects = services.flatMap((s) => {
    const file = join(root, 'deploy/kubernetes/base/services', `${s}.yaml`);
    return existsSync(file) ? (parseYamlStream(readFileSync(file, 'utf8'), file) as K8sObject[]) : [];
  });
  assert.deepEqual(coverage(objects), { missing: [], unprobed: [] });
});

for (const overlay of ['dev', 'prod']) {
  test(`every service in services/ is in the ${overlay} overlay with both probes`, { skip: noKubectl }, () => {
    assert.deepEqual(coverage(kustomizeOverlay(join(root, 'deploy/kubernetes/overlays', overlay))), { missing: [], unprobed: [] });
  });
}

test('the coverage check fails for a Deployment without a readiness probe, and for a missing service', () => {
  const file = join(root, 'deploy/kubernetes/base/services', `${services[0]}.yaml`);
  const objects = parseYamlStream(readFileSync(file, 'utf8'), file) as K8sObject[];
  const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment')) as K8sObject;
  const pod = (deployment.spec?.template as { spec: { containers: Record<string, unknown>[] } }).spec;
  delete pod.containers[0]?.readinessProbe;
  const result = coverage([deployment]);
  assert.equal(result.unprobed.length, 1, result.unprobed.join('\n'));
  assert.match(result.unprobed[0] ?? '', /readinessProbe must GET \/readyz/);
  assert.ok(coverage([]).missing.length === services.length);
});

test('every variable a service cannot start without is provided, in compose and in Kubernetes', async () => {
  const { services: models } = await loadServices(root);
  // The image sets these for every service (deploy/Dockerfile ENV).
  const fromImage = ['HOST', 'PORT', 'BAZAAR_DATA_DIR', 'BAZAAR_SERVICE'];
  const [compose] = parseYamlStream(readFileSync(join(root, 'deploy/compose.yaml'), 'utf8'), 'compose.yaml') as [{ services: Record<string, { environment?: Record<string, string> }> }];
  const missing: string[] = [];
  for (const s of models) {
    const file = join(root, 'deploy/kubernetes/base/services', `${s.name}.yaml`);
    const deployment = (parseYamlStream(readFileSync(file, 'utf8'), file) as K8sObject[]).find((o) => o.kind === 'Deployment');
    const containers = (deployment?.spec?.template as { spec: { containers: { env?: { name: string }[] }[] } } | undefined)?.spec.containers ?? [];
    const k8s = containers.flatMap((c) => (c.env ?? []).map((e) => e.name));
    const composed = Object.keys(compose.services[s.name]?.environment ?? {});
    for (const key of s.requiredKeys) {
      if (!fromImage.includes(key) && !composed.includes(key)) missing.push(`compose ${s.name}: ${key}`);
      if (!fromImage.includes(key) && !k8s.includes(key)) missing.push(`kubernetes ${s.name}: ${key}`);
    }
  }
  assert.ok(models.some((s) => s.requiredKeys.length > 0), 'some service requires a variable (BAZAAR_SERVICE_CREDENTIAL)');
  assert.deepEqual(missing, []);
});
