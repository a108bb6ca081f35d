import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { summarize, toSources, type CpuProfile } from '../src/profile.ts';

/** A profile of one bundle: a root, a frame in `spanHelper` (tracing code), a frame in `handler` (not), 3 ms each. */
function profileOf(url: string, bundle: string): CpuProfile {
  const at = (name: string) => {
    const lines = bundle.split('\n');
    const line = lines.findIndex((l) => l.includes(`function ${name}(`));
    assert.ok(line >= 0, `the bundle defines ${name}`);
    return { lineNumber: line, columnNumber: (lines[line] as string).indexOf(`function ${name}(`) };
  };
  return {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3] },
      { id: 2, callFrame: { functionName: 'spanHelper', url, ...at('spanHelper') } },
      { id: 3, callFrame: { functionName: 'handler', url, ...at('handler') } },
    ],
    startTime: 0,
    endTime: 9000,
    samples: [2, 2, 3, 3, 1],
    timeDeltas: [0, 1500, 1500, 1500, 1500],
  };
}

test('toSources: frames in a bundled service are attributed to the sources its source map names, so tracing code is found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-profile-test-'));
  try {
    mkdirSync(join(dir, 'packages/kit/src'), { recursive: true });
    mkdirSync(join(dir, 'services/cart/src'), { recursive: true });
    writeFileSync(join(dir, 'packages/kit/src/telemetry.ts'), 'export function spanHelper(n: number): number {\n  return n * 2;\n}\n');
    writeFileSync(join(dir, 'services/cart/src/main.ts'), "import { spanHelper } from '../../../packages/kit/src/telemetry.ts';\nexport function handler(n: number): number {\n  return spanHelper(n) + 1;\n}\n");
    const out = join(dir, 'cache/bundles/services/cart/src/main.js');
    await build({ entryPoints: [join(dir, 'services/cart/src/main.ts')], bundle: true, format: 'esm', platform: 'node', sourcemap: 'linked', outfile: out, logLevel: 'silent' });
    const url = pathToFileURL(out).href;
    const profile = profileOf(url, readFileSync(out, 'utf8'));

    // As the bundle ran: one URL for everything, no tracing code seen (what bench:profile printed before).
    assert.equal(summarize(profile).tracingMs, 0);

    const mapped = toSources(profile);
    const frames = new Map(mapped.nodes.map((n) => [n.callFrame.functionName, n.callFrame]));
    assert.equal(frames.get('spanHelper')?.url, pathToFileURL(join(dir, 'packages/kit/src/telemetry.ts')).href);
    assert.equal(frames.get('spanHelper')?.lineNumber, 0);
    assert.equal(frames.get('handler')?.url, pathToFileURL(join(dir, 'services/cart/src/main.ts')).href);
    assert.equal(frames.get('handler')?.lineNumber, 1);
    assert.equal(frames.get('(root)')?.url, '', 'frames without a URL stay as they were');
    const s = summarize(mapped);
    assert.equal(s.tracingMs, 3, 'the two samples in spanHelper are tracing');
    assert.equal(s.totalMs, 6);
    assert.deepEqual(s.owners.map((o) => o.name).sort(), ['packages/kit', 'services/cart']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('toSources: a file without a source map is left as it is', () => {
  const profile = profileOf('file:///nowhere/main.js', 'function spanHelper() {}\nfunction handler() {}\n');
  assert.deepEqual(toSources(profile).nodes, profile.nodes);
});
