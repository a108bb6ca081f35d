import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));
const services = readdirSync(join(root, 'services'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

async function lint(code: string, file: string) {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result?.messages.map((m) => m.ruleId) ?? [];
}

test('lint forbids a service importing another service by path', async () => {
  const rules = await lint("import { buildApp } from '../../gateway/src/app.ts';\nexport const x = buildApp;\n", 'services/catalog/src/leak.ts');
  assert.ok(rules.includes('import-x/no-restricted-paths'), `rules reported: ${rules.join(', ')}`);
});

test('lint forbids a service importing another service by package name', async () => {
  const rules = await lint("import { buildApp } from '@bazaar/gateway';\nexport const x = buildApp;\n", 'services/catalog/src/leak.ts');
  assert.ok(rules.includes('no-restricted-imports'), `rules reported: ${rules.join(', ')}`);
});

test('lint allows a service importing shared packages and its own files', async () => {
  const rules = await lint("import { createLogger } from '@bazaar/kit';\nimport { buildApp } from './app.ts';\nexport const x = [createLogger, buildApp];\n", 'services/gateway/src/ok.ts');
  assert.deepEqual(rules, []);
});

test('lint forbids domain/ importing store/ or upstream/: ports are declared in domain/model.ts', async () => {
  for (const from of ['../store/index.ts', '../upstream/psp-sim.ts']) {
    const rules = await lint(`import type { X } from '${from}';\nexport type Y = X;\n`, 'services/payments/src/domain/leak.ts');
    assert.ok(rules.includes('import-x/no-restricted-paths'), `${from}: rules reported: ${rules.join(', ')}`);
  }
  const ok = await lint("import type { PaymentRecord } from './model.ts';\nexport type Y = PaymentRecord;\n", 'services/payments/src/domain/ok.ts');
  assert.deepEqual(ok, []);
});

test('lint forbids a tool importing a service\'s source', async () => {
  const rules = await lint("import { ProductIndex } from '../../../services/search/src/domain/product-index.ts';\nexport const x = ProductIndex;\n", 'tools/bench/src/leak.ts');
  assert.ok(rules.includes('import-x/no-restricted-paths'), `rules reported: ${rules.join(', ')}`);
});

test('lint forbids a shared package importing a service or a tool', async () => {
  for (const from of ['../../../services/search/src/app.ts', '../../../tools/launcher/src/table.ts']) {
    const rules = await lint(`import { x } from '${from}';\nexport const y = x;\n`, 'packages/kit/src/leak.ts');
    assert.ok(rules.includes('import-x/no-restricted-paths'), `${from}: rules reported: ${rules.join(', ')}`);
  }
});

test('every service has the standard shape and a README', () => {
  assert.ok(services.length >= 3);
  for (const name of services) {
    for (const file of ['package.json', 'README.md', 'src/main.ts', 'src/app.ts']) {
      assert.ok(existsSync(join(root, 'services', name, file)), `services/${name}/${file} is missing`);
    }
    const pkg = JSON.parse(readFileSync(join(root, 'services', name, 'package.json'), 'utf8'));
    assert.equal(typeof pkg.bazaar?.port, 'number', `services/${name}/package.json needs "bazaar": {"port": n}`);
    assert.ok(readdirSync(join(root, 'services', name, 'test')).some((f) => f.endsWith('.test.ts')), `services/${name} has no tests`);
  }
});

test('the repository runs its scripts on Node 24 whatever the system Node is', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.match(pkg.devDependencies.node, /^24\./);
  assert.match(pkg.engines.node, /24/);
  assert.equal(process.versions.node.split('.')[0], '24', `tests run on Node ${process.version}`);
  assert.match(pkg.devDependencies.typescript, /^\d+\.\d+\.\d+$/, 'TypeScript is pinned to an exact version');
});

/** Every .ts file under a folder, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

test('no route path is written in a service: paths live in the route descriptors of @bazaar/contracts (ADR 0010)', () => {
  const offenders: string[] = [];
  for (const name of services) {
    for (const file of tsFiles(join(root, 'services', name, 'src'))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*)/.test(line)) return;
          if (/['"`]\/(api|internal)\/[a-z:$]/.test(line)) offenders.push(`${file.slice(root.length)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  assert.deepEqual(offenders, [], 'declare the route in packages/contracts and use serve() / client.call()');
});
