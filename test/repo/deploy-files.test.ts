// The Dockerfile, compose file and CI workflows, checked without Docker or GitHub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { checkCompose, checkDockerfile, validateComposeSchema, validateWorkflow } from '../../tools/deploy-gen/src/check-files.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const services = readdirSync(join(root, 'services'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'services', d.name, 'package.json')))
  .map((d) => ({ name: d.name, gateway: (JSON.parse(read(`services/${d.name}/package.json`)) as { bazaar?: { gateway?: boolean } }).bazaar?.gateway === true }));

test('the Dockerfile is multi-stage, Node 24, non-root, tini, healthcheck, production dependencies only', () => {
  assert.deepEqual(checkDockerfile(read('deploy/Dockerfile')), []);
});

test('the Dockerfile check catches a single-stage root image without tini on another Node', () => {
  const bad = 'FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD ["node", "src/main.ts"]\n';
  const problems = checkDockerfile(bad).join('\n');
  for (const expected of [/multi-stage/, /Node 24/, /no USER/, /tini/, /HEALTHCHECK/, /EXPOSE/, /--omit=dev/]) assert.match(problems, expected);
  const rootUser = read('deploy/Dockerfile').replace(/^USER .*$/m, 'USER root');
  assert.match(checkDockerfile(rootUser).join('\n'), /runs as root/);
  const alpine = read('deploy/Dockerfile').replace(/node:24-bookworm-slim/, 'node:24-alpine');
  assert.match(checkDockerfile(alpine).join('\n'), /glibc/);
});

test('.dockerignore keeps node_modules, git history and local data out of the build context', () => {
  const lines = read('.dockerignore').split('\n').map((l) => l.trim());
  for (const entry of ['**/node_modules', '.git', '.bazaar']) assert.ok(lines.includes(entry), `.dockerignore lacks ${entry}`);
});

test('compose.yaml validates against the Compose Specification schema, given the secrets it requires', () => {
  // Each service's own credential and its callers' digests (`npm run credentials -- --compose`), named in compose.
  const credentialVars = [...new Set([...read('deploy/compose.yaml').matchAll(/\$\{(BAZAAR_(?:CREDENTIAL|CALLERS)_[A-Z_]+):\?/g)].map((m) => m[1] as string))];
  assert.ok(credentialVars.includes('BAZAAR_CREDENTIAL_ORDERS') && credentialVars.includes('BAZAAR_CALLERS_PAYMENTS'), credentialVars.join(', '));
  const env = { POSTGRES_PASSWORD: 'p', ADMIN_PASSWORD: 'a', COOKIE_SECRET: 'c'.repeat(32), TRUST_PROXY_HOPS: '1', ...Object.fromEntries(credentialVars.map((v) => [v, 'x'.repeat(43)])) };
  assert.deepEqual(validateComposeSchema(read('deploy/compose.yaml'), env), []);
  // Without them compose refuses to start (issue 13, item 2): each is named.
  const missing = validateComposeSchema(read('deploy/compose.yaml')).join('\n');
  for (const key of Object.keys(env)) assert.match(missing, new RegExp(`\\$\\{${key}:\\?`));
});

test('the compose schema check rejects unknown keys, bad conditions, ports and durations, and unset required variables', () => {
  const errors = validateComposeSchema(
    'services:\n  a:\n    image: x\n    imagex: y\n    ports: ["${P:-notaport}:80"]\n    environment:\n      X: ${NEED:?set it}\n' +
      '    healthcheck:\n      interval: 5 seconds\n    depends_on:\n      b:\n        condition: whenever\n',
  ).join('\n');
  for (const expected of [/'imagex'/, /depends_on\/b\/condition/, /ports\/0: must match format "ports"/, /interval: must match format "duration"/, /NEED:\?set it\} is required/]) {
    assert.match(errors, expected);
  }
});

test('compose: infrastructure with healthchecks, every service built and healthy-gated, only the gateway published', () => {
  assert.deepEqual(checkCompose(parse(read('deploy/compose.yaml')) as object, services), []);
});

test('the compose check catches a published service, a missing one and an ungated dependency', () => {
  const doc = parse(read('deploy/compose.yaml')) as { services: Record<string, Record<string, unknown>> };
  const [first, second] = services.filter((s) => !s.gateway);
  assert.ok(first && second);
  doc.services[first.name] = { ...doc.services[first.name], ports: ['9999:8080'], depends_on: { postgres: { condition: 'service_started' } } };
  delete doc.services[second.name];
  const problems = checkCompose(doc, services).join('\n');
  assert.match(problems, new RegExp(`${first.name}: publishes ports`));
  assert.match(problems, new RegExp(`${second.name}: not in compose`));
  assert.match(problems, new RegExp(`${first.name}: depends on postgres without condition: service_healthy`));
});

const workflows = readdirSync(join(root, '.github/workflows')).filter((f) => /\.ya?ml$/.test(f));

test('every workflow parses and validates against GitHub\'s workflow schema', async () => {
  assert.ok(workflows.includes('ci.yml'));
  for (const file of workflows) {
    const path = `.github/workflows/${file}`;
    assert.doesNotThrow(() => parse(read(path)), path);
    assert.deepEqual(await validateWorkflow(path, read(path), (p) => read(p)), [], path);
  }
});

test('the workflow check rejects a misspelt key, an unknown expression and a wrong reusable-workflow input', async () => {
  const errors = await validateWorkflow('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n  b:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ nope.x }}\n', read);
  assert.ok(errors.some((e) => e.includes("'stepz'")), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes('nope')), errors.join('\n'));
  const call = 'on: push\njobs:\n  a:\n    uses: ./.github/workflows/reusable-service.yml\n    with:\n      servce: cart\n';
  assert.match((await validateWorkflow('call.yml', call, read)).join('\n'), /servce is not defined in the referenced workflow/);
});

test('every service has a workflow, filtered to its paths, calling the one reusable service workflow', () => {
  for (const { name } of services) {
    const path = `.github/workflows/service-${name}.yml`;
    assert.ok(existsSync(join(root, path)), `${path} is missing (npm run deploy:gen)`);
    const wf = parse(read(path)) as { on: { push: { paths: string[] }; pull_request: { paths: string[] } }; jobs: Record<string, { uses?: string; with?: { service?: string } }> };
    for (const trigger of [wf.on.push, wf.on.pull_request]) {
      for (const p of [`services/${name}/**`, 'packages/**', 'package-lock.json']) assert.ok(trigger.paths.includes(p), `${path} does not run on ${p}`);
    }
    const jobs = Object.values(wf.jobs);
    assert.deepEqual(jobs.map((j) => [j.uses, j.with?.service]), [['./.github/workflows/reusable-service.yml', name]]);
  }
});

test('the shared CI runs lint, typecheck, unit and e2e tests beside PostgreSQL, Redis and NATS JetStream', () => {
  const ci = parse(read('.github/workflows/ci.yml')) as { jobs: Record<string, { steps?: { run?: string }[]; with?: { command?: string } }> };
  const commands = Object.values(ci.jobs).flatMap((j) => [...(j.steps ?? []).map((s) => s.run ?? ''), j.with?.command ?? '']).join('\n');
  for (const script of ['npm run lint', 'npm run typecheck', 'npm run test:unit', 'npm run test:e2e']) assert.ok(commands.includes(script), `ci.yml does not run ${script}`);
  const infra = parse(read('.github/workflows/reusable-node-tests.yml')) as { jobs: { test: { services: Record<string, unknown>; steps: { run?: string }[] } } };
  assert.deepEqual(Object.keys(infra.jobs.test.services).sort(), ['postgres', 'redis']);
  assert.ok(infra.jobs.test.steps.some((s) => /nats.* -js/.test(s.run ?? '')), 'NATS must start with JetStream (-js)');
});
