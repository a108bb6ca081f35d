import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asciiComments, bundleFingerprint, bundleServices } from '../src/bundle.ts';
import { SupervisedProcess } from '../src/supervisor.ts';
import type { ServiceSpec } from '../src/services.ts';
import { until } from '../src/harness.ts';
import { descendants } from '../../bench/src/proc.ts';
import { freePort } from '@bazaar/kit/testing';

/**
 * A tiny checkout: two services sharing a workspace package (one CommonJS dependency among them), one not to bundle;
 * each reads a file beside its (dynamically imported) module.
 */
function fakeRepo(): { root: string; specs: ServiceSpec[] } {
  const root = mkdtempSync(join(tmpdir(), 'bazaar-bundle-'));
  const file = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  file('packages/shared/src/index.ts', "import legacy from './legacy.cjs';\nexport const hello = (name: string): string => (legacy as { greet(n: string): string }).greet(name);\n");
  file('packages/shared/src/legacy.cjs', "const path = require('node:path');\nexports.greet = (n) => 'hello ' + n + ' from ' + path.basename('/x/shared');\n");
  const spec = (name: string, bundle: boolean): ServiceSpec => {
    file(`services/${name}/src/main.ts`, `import { hello } from '../../../packages/shared/src/index.ts';\nconst late = await import('./late.ts');\nconsole.log(hello('${name}') + late.suffix);\n`);
    // A file found next to its module through import.meta.url (as the storefront finds its templates).
    file(`services/${name}/src/late.ts`, "import { readFileSync } from 'node:fs';\nexport const suffix = readFileSync(new URL('./suffix.txt', import.meta.url), 'utf8');\n");
    file(`services/${name}/src/suffix.txt`, ' (late)');
    const source = join(root, `services/${name}/src/main.ts`);
    return { name, dir: join(root, 'services', name), entry: source, source, bundle, port: 1, areas: [], gateway: false, infra: false, smtpPort: undefined };
  };
  file('package-lock.json', '{}');
  return { root, specs: [spec('alpha', true), spec('beta', true), spec('gamma', false)] };
}

test('every bundled service runs as its sources do; the build is reused until a source changes; old builds are pruned', async (t) => {
  const { root, specs } = fakeRepo();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cacheDir = join(root, 'node_modules', '.cache', 'bazaar-bundles');

  const first = await bundleServices(specs, { root, cacheDir });
  assert.equal(first.built, true);
  assert.deepEqual([...first.entries.keys()].sort(), ['alpha', 'beta'], 'gamma says "bundle": false');
  for (const name of ['alpha', 'beta']) {
    const entry = first.entries.get(name) as string;
    assert.ok(entry.startsWith(first.dir), `${name}'s bundle is in the build`);
    const fromBundle = execFileSync(process.execPath, [entry], { encoding: 'utf8' });
    const fromSource = execFileSync(process.execPath, [join(root, `services/${name}/src/main.ts`)], { encoding: 'utf8' });
    assert.equal(fromBundle, fromSource, `${name} prints the same bundled and from its sources`);
    assert.equal(fromBundle.trim(), `hello ${name} from shared (late)`);
    // The build says its files are ES modules: Node does not parse each one a second time to find out.
    const undetected = execFileSync(process.execPath, ['--no-experimental-detect-module', entry], { encoding: 'utf8' });
    assert.equal(undetected, fromBundle, `${name}'s bundle is an ES module without syntax detection`);
  }

  const again = await bundleServices(specs, { root, cacheDir });
  assert.equal(again.built, false, 'nothing changed: the build is reused');
  assert.equal(again.dir, first.dir);

  // A source changes (size and time): a new build, which the services then run.
  writeFileSync(join(root, 'services/alpha/src/late.ts'), "export const suffix = ' (changed)';\n");
  const changed = await bundleServices(specs, { root, cacheDir });
  assert.equal(changed.built, true);
  assert.notEqual(changed.dir, first.dir);
  assert.equal(execFileSync(process.execPath, [changed.entries.get('alpha') as string], { encoding: 'utf8' }).trim(), 'hello alpha from shared (changed)');
  assert.ok(existsSync(first.dir), 'the previous build is kept for a system still running from it');

  // Only the newest builds are kept.
  for (let i = 0; i < 4; i++) {
    const late = join(root, 'services/beta/src/late.ts');
    writeFileSync(late, `export const suffix = ' (${i})';\n`);
    utimesSync(late, new Date(), new Date(Date.now() + (i + 1) * 1000));
    await bundleServices(specs, { root, cacheDir });
  }
  const builds = readdirSync(cacheDir).filter((d) => !d.includes('.building-'));
  assert.equal(builds.length, 4, `the newest and 3 before it, got ${builds.join(', ')}`);
  assert.ok(!existsSync(first.dir), 'the oldest build is gone');
});

/** Processes under this one running esbuild's service (its Go binary, `esbuild --service=… --ping`). */
const esbuildChildren = (): number[] => descendants(process.pid).filter((p) => p.comm === 'esbuild').map((p) => p.pid);

// Seen as an operator: after a first `npm start` (a build), esbuild's service process stayed beside the launcher for
// as long as the system ran, 430 MB of RSS, though nothing would ask it for another build.
test('no esbuild process is left running after a build', async (t) => {
  const { root, specs } = fakeRepo();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const cacheDir = join(root, 'node_modules', '.cache', 'bazaar-bundles');
  const built = await bundleServices(specs, { root, cacheDir });
  assert.equal(built.built, true);
  // Bounded: the process is told to stop when the build is written, and exits on its own time.
  await until("esbuild's service process to exit after the build", 10_000, () => (esbuildChildren().length === 0 ? true : undefined));
  const again = await bundleServices(specs, { root, cacheDir });
  assert.equal(again.built, false);
  assert.deepEqual(esbuildChildren(), [], 'a start from the cache starts none');
});

test('the fingerprint follows sources, the lockfile and tools, not tests', (t) => {
  const { root } = fakeRepo();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const before = bundleFingerprint(root, '0.28.2');
  assert.equal(bundleFingerprint(root, '0.28.2'), before, 'stable');
  assert.notEqual(bundleFingerprint(root, '0.29.0'), before, 'another esbuild');
  mkdirSync(join(root, 'services/alpha/test'), { recursive: true });
  writeFileSync(join(root, 'services/alpha/test/a.test.ts'), 'export {};\n');
  assert.equal(bundleFingerprint(root, '0.28.2'), before, 'a test file is not part of a bundle');
  writeFileSync(join(root, 'package-lock.json'), '{ "changed": true }');
  assert.notEqual(bundleFingerprint(root, '0.28.2'), before, 'the lockfile');
});

test('a service whose bundle is gone (pruned while its system ran) restarts from its sources', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-bundle-gone-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'main.ts');
  const port = await freePort();
  writeFileSync(source, `import { createServer } from 'node:http';
createServer((req, res) => res.end('ok')).listen(${port}, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));\n`);
  const proc = new SupervisedProcess({
    spec: { name: 'toy', dir, entry: join(dir, 'gone', 'main.js'), source, bundle: true, port, areas: [], gateway: false, infra: false, smtpPort: undefined },
    url: `http://127.0.0.1:${port}`,
    env: {},
    logFile: join(dir, 'toy.log'),
    echo: false,
    nodePath: process.execPath,
  });
  try {
    proc.start();
    await until('the toy service, started from its sources, to be ready', 30_000, () => (proc.info().state === 'ready' ? true : undefined));
  } finally {
    await proc.stop();
  }
});

/** A checkout holding one service whose main.ts is `code`, bundled; its source and bundled entry. */
async function bundleOne(t: { after(fn: () => unknown): void }, name: string, code: string): Promise<{ source: string; entry: string }> {
  const root = mkdtempSync(join(tmpdir(), `bazaar-bundle-${name}-`));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, `services/${name}/src`), { recursive: true });
  writeFileSync(join(root, 'package-lock.json'), '{}');
  const source = join(root, `services/${name}/src/main.ts`);
  writeFileSync(source, code);
  const spec: ServiceSpec = { name, dir: join(root, `services/${name}`), entry: source, source, bundle: true, port: 1, areas: [], gateway: false, infra: false, smtpPort: undefined };
  const built = await bundleServices([spec], { root, cacheDir: join(root, 'node_modules', '.cache', 'bazaar-bundles') });
  return { source, entry: built.entries.get(name) as string };
}

test("a bundled service imports node:http without the exports that load undici, and every other export works as from the sources", async (t) => {
  // Static, default, namespace and dynamic imports of built-ins (the OpenTelemetry exporter does `import('http')`).
  const { source, entry } = await bundleOne(
    t,
    'delta',
    `import { createServer } from 'node:http';
import http from 'http';
import * as fs from 'node:fs';
import { join } from 'node:path';
const { Agent, request } = await import('http');
const https = await import('node:https');
const works = [typeof createServer, typeof http.get, typeof fs.readFileSync, typeof Agent, typeof request, typeof https.request, join('a', 'b')].join(' ');
const undici = process.moduleLoadList.some((m) => m.includes('internal/deps/undici/undici'));
console.log(JSON.stringify({ works, undici }));
`,
  );
  const run = (file: string) => JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8' })) as { works: string; undici: boolean };
  const fromSource = run(source);
  const fromBundle = run(entry);
  assert.equal(fromBundle.works, 'function function function function function function a/b');
  assert.equal(fromBundle.works, fromSource.works, 'the same exports, bundled or not');
  assert.equal(fromSource.undici, true, 'run as ES modules, the imports of node:http load undici (13 MB, ~85 ms of CPU)');
  assert.equal(fromBundle.undici, false, 'bundled, they do not');
});

test('asciiComments: only comments lose their non-ASCII characters, one ? per UTF-16 unit; code is left as written', () => {
  const code = [
    "// response’s status 😀",
    "/* block § */ const a = 'str // not a comment é';",
    'const re = /r[é]x\\/\\/ not a comment ’/u; // trailing ü',
    'const raw = String.raw`raw é /* not a comment ’ */`;',
    '/*! legal © */',
    'const t = `${a} // é`;',
  ].join('\n');
  const out = asciiComments(code);
  assert.equal(out.length, code.length, 'same length: source map columns hold');
  assert.equal(
    out,
    [
      '// response?s status ??',
      "/* block ? */ const a = 'str // not a comment é';",
      'const re = /r[é]x\\/\\/ not a comment ’/u; // trailing ?',
      'const raw = String.raw`raw é /* not a comment ’ */`;',
      '/*! legal ? */',
      'const t = `${a} // é`;',
    ].join('\n'),
  );
  assert.equal(asciiComments('const x = 1; // plain\n'), 'const x = 1; // plain\n', 'ASCII code is returned as it is');
});

test("a bundle's comments are ASCII (V8 keeps an all-ASCII source at one byte per character); it runs as its sources do", async (t) => {
  // The bundles are minified (whitespace and syntax): esbuild drops ordinary comments but keeps legal ones, and
  // escapes the strings.
  const { source, entry } = await bundleOne(
    t,
    'echo',
    `class Response {
  // Returns response’s type, e.g. "cors".
  get type(): string {
    return 'basic – é';
  }
}
/*! © someone */
console.log(JSON.stringify({ type: new Response().type, unit: /(µs|ms)/.exec('12µs')?.[1] }));
`,
  );
  const bundled = readFileSync(entry, 'utf8');
  assert.doesNotMatch(bundled, /Returns response/, 'an ordinary comment is gone (minified)');
  assert.match(bundled, /\/\*! \? someone \*\//, 'the legal comment was kept by esbuild, its character replaced');
  assert.deepEqual(bundled.match(/[\u0080-\uffff]/g), ['µ'], 'only the regular expression keeps its character (esbuild writes it as it is)');
  assert.equal(execFileSync(process.execPath, [entry], { encoding: 'utf8' }), execFileSync(process.execPath, [source], { encoding: 'utf8' }));
});
