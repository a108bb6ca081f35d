/**
 * Each service bundled into a few files before the launcher starts it
 * (ADR 0051; docs/performance.md, "Start-up").
 *
 * A service run from its sources loads about 1,900 modules (TypeBox alone
 * 680, Kysely 257): resolving, reading, compiling and linking them is most
 * of the second of CPU each process spends before it listens, and fourteen
 * processes share the machine's cores. esbuild turns every service's
 * `src/main.ts` into one entry file plus chunks the services share, once for
 * all of them (one pass over the sources, a couple of seconds); the result is
 * kept under `node_modules/.cache/bazaar-bundles/<fingerprint>/` and used
 * again while no source file, lockfile, Node or esbuild version changed.
 *
 * What stays as it was: the code (the same modules, bundled, not rewritten),
 * each service's own process, environment and working directory. Packages
 * with native code (DuckDB) stay outside the bundle and load from
 * node_modules. A service whose package.json says `"bundle": false` (the
 * storefront: it reads its templates and static files next to its sources)
 * runs from its sources, as does everything with `BAZAAR_BUNDLE=0`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { tokenizer } from 'acorn';
import type { Plugin } from 'esbuild';
import { join, relative, resolve } from 'node:path';
import type { ServiceSpec } from './services.ts';

/** Where the launcher keeps its builds, in a checkout. */
export const bundleCacheDir = (root: string): string => join(root, 'node_modules', '.cache', 'bazaar-bundles');

/** Packages loaded from node_modules at run time: native addons, which a bundle cannot hold. */
const EXTERNAL = ['@duckdb/*', 'sharp', '@img/*'];

/** Every source file a service may import, with its size and modification time, for the fingerprint. */
function sourceStamps(root: string): string[] {
  const stamps: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'test' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|js|mjs|cjs|json)$/.test(entry.name)) {
        const s = statSync(path);
        stamps.push(`${relative(root, path)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  for (const top of ['packages', 'services', 'tools']) if (existsSync(join(root, top))) walk(join(root, top));
  return stamps.sort();
}

/** A name for this state of the sources, dependencies and tools: the bundles built from it are good while it holds. */
export function bundleFingerprint(root: string, esbuildVersion: string): string {
  const lock = join(root, 'package-lock.json');
  const hash = createHash('sha256');
  hash.update(`node ${process.version} esbuild ${esbuildVersion}\n`);
  if (existsSync(lock)) hash.update(`lock ${statSync(lock).size} ${statSync(lock).mtimeMs}\n`);
  for (const stamp of sourceStamps(root)) hash.update(`${stamp}\n`);
  return hash.digest('hex').slice(0, 16);
}

export interface BundleResult {
  /** The bundled entry of each service that has one, by service name. */
  entries: Map<string, string>;
  /** Whether this start built them (false: the cached build was still good). */
  built: boolean;
  ms: number;
  dir: string;
}

/** One line on what a bundling did, for the launcher's and the bench's output. */
export function describeBundles(result: BundleResult, root: string): string {
  return result.built
    ? `bundled ${result.entries.size} services in ${(result.ms / 1000).toFixed(1)} s (${relative(root, result.dir)}; BAZAAR_BUNDLE=0 runs the sources)`
    : `bundles of this state of the sources already built (${result.ms} ms to check)`;
}

/**
 * The bundled entries of these services, built now or taken from the cache.
 * Throws when esbuild fails (the caller then starts from the sources).
 */
export async function bundleServices(specs: ServiceSpec[], opts: { root: string; cacheDir: string }): Promise<BundleResult> {
  const started = Date.now();
  const esbuild = await import('esbuild');
  const bundled = specs.filter((s) => s.bundle);
  const dir = join(opts.cacheDir, bundleFingerprint(opts.root, esbuild.version));
  const entryOf = (spec: ServiceSpec): string => join(dir, relative(opts.root, spec.source).replace(/\.ts$/, '.js'));
  const entries = new Map(bundled.map((s) => [s.name, entryOf(s)]));
  if (bundled.every((s) => existsSync(entryOf(s)))) return { entries, built: false, ms: Date.now() - started, dir };

  // Built beside the cache and renamed into place: a start that dies half-way leaves no half-built bundle to use.
  mkdirSync(opts.cacheDir, { recursive: true });
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  try {
    await esbuild.build({
      entryPoints: bundled.map((s) => s.source),
      outbase: opts.root,
      outdir: building,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node24',
      external: EXTERNAL,
      entryNames: '[dir]/[name]',
      chunkNames: 'chunks/[name]-[hash]',
      // CommonJS dependencies (the OpenTelemetry SDK, pg, pino…) call require(); an ES module has none of its own.
      banner: { js: "import { createRequire as __bazaarCreateRequire } from 'node:module'; const require = __bazaarCreateRequire(import.meta.url);" },
      sourcemap: 'linked',
      // Whitespace and syntax minified, names kept (fastify and avvio name plugins and hooks after their functions;
      // stack traces keep them): V8 holds each module's source for as long as the process lives, and the shared
      // chunk went from 3.4 to 2.2 MB — about 30 MB less RSS for the whole idle system (docs/performance.md).
      minifyWhitespace: true,
      minifySyntax: true,
      logLevel: 'silent',
      plugins: [sourceLocations(opts.root), httpWithoutUndici()],
    });
  } finally {
    // esbuild's JS API keeps its service process (the Go binary, ~430 MB after building every service) for the next
    // call; there is none: without this it stayed beside the launcher as long as the system ran.
    await esbuild.stop();
  }
  asciiCommentsIn(building);
  writeFileSync(join(building, 'README.txt'), 'Bundles of the Bazaar services, built by the launcher (tools/launcher/src/bundle.ts). Safe to delete.\n');
  // The bundles are ES modules. Under node_modules Node looks for no package.json further up than the build, and a
  // .js file without a "type" is parsed a second time to detect its module syntax (a few percent of each start).
  writeFileSync(join(building, 'package.json'), '{ "type": "module", "private": true }\n');
  if (existsSync(dir)) rmSync(building, { recursive: true, force: true }); // another launcher built the same meanwhile
  else {
    try {
      renameSync(building, dir);
    } catch (error) {
      rmSync(building, { recursive: true, force: true });
      if (!existsSync(dir)) throw error;
    }
  }
  pruneOldBuilds(opts.cacheDir, dir);
  return { entries, built: true, ms: Date.now() - started, dir };
}

/**
 * `import.meta.url` in our own sources means where that file is: the storefront finds its templates and static
 * files next to its modules. In a bundle it would be the bundle's URL, so each source file that uses it gets its
 * own file's URL written in instead (dependencies are left as they are).
 */
function sourceLocations(root: string): Plugin {
  const base = `${resolve(root)}/`;
  const ours = (path: string): boolean => path.startsWith(base) && !path.includes('/node_modules/') && /\/(packages|services|tools)\/[^/]+\/src\//.test(path);
  return {
    name: 'bazaar-source-locations',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!ours(args.path)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
      });
    },
  };
}

/** node:http's exports that load Node's internal undici on first read (13 MB and ~85 ms of CPU in a process; docs/performance.md). */
const UNDICI_GETTERS = ['WebSocket', 'CloseEvent', 'MessageEvent'];

/**
 * `node:http` imported from an ES module, as `require()` would give it. Importing a built-in as an ES module reads
 * every export once to build the module's namespace, and three of node:http's are getters that load undici: every
 * process that did `import … from 'node:http'` (the OpenTelemetry exporter's `import('http')` on its first export,
 * the gateway's server, nodemailer) paid for it and never used it. In the bundle such an import gets a module with
 * the same exports but those three (an import of one of them fails the build, loudly), read once when it loads.
 */
function httpWithoutUndici(): Plugin {
  const require = createRequire(import.meta.url);
  return {
    name: 'bazaar-http-without-undici',
    setup(build) {
      build.onResolve({ filter: /^(node:)?http$/ }, (args) => (args.kind === 'import-statement' || args.kind === 'dynamic-import' ? { path: 'node:http', namespace: 'bazaar-builtin' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'bazaar-builtin' }, () => {
        const names = Object.keys(require('node:http') as object).filter((name) => !UNDICI_GETTERS.includes(name) && /^[A-Za-z_$][\w$]*$/.test(name));
        const lines = [
          "import { createRequire } from 'node:module';",
          "const builtin = createRequire(import.meta.url)('node:http');",
          'export default builtin;',
          ...names.map((name) => `export const ${name} = builtin.${name};`),
        ];
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
}

/**
 * Comments in the bundles made ASCII-only. esbuild escapes non-ASCII characters in strings and names (its default
 * charset) but copies the comments it keeps as they are, and dependencies' comments hold a few (undici's
 * "response’s status", "RFC 9111 §5.2.2.10"). One such character makes V8 keep the whole file's source as two bytes
 * per character: the 4.7 MB chunk every service loads took 9.4 MB in each process, and decoding and compiling it
 * cost more (docs/performance.md). Each UTF-16 unit outside ASCII in a comment becomes `?` (same length: the source
 * maps' columns still hold); comments are found by acorn's tokenizer, so a regular expression or a `String.raw`
 * template that holds such a character (esbuild leaves those as written) is left alone.
 */
export function asciiComments(code: string): string {
  if (!/[\u0080-\uffff]/.test(code)) return code;
  // The comments holding such a character, in order: acorn's tokenizer reports each one as iterating it passes it.
  const comments: [number, number][] = [];
  const onComment = (_block: boolean, text: string, start: number, end: number): void => {
    if (/[\u0080-\uffff]/.test(text)) comments.push([start, end]);
  };
  for (const token of tokenizer(code, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true, onComment })) void token;
  let out = '';
  let at = 0;
  for (const [start, end] of comments) {
    out += code.slice(at, start) + code.slice(start, end).replace(/[\u0080-\uffff]/g, '?');
    at = end;
  }
  return out + code.slice(at);
}

function asciiCommentsIn(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const path = join(entry.parentPath, entry.name);
    const code = readFileSync(path, 'utf8');
    const ascii = asciiComments(code);
    if (ascii !== code) writeFileSync(path, ascii);
  }
}

/** Builds kept besides the newest: a system still running from one restarts its services from it (else from the sources). */
const KEEP = 3;

function pruneOldBuilds(cacheDir: string, current: string): void {
  const builds = readdirSync(cacheDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.includes('.building-') && join(cacheDir, e.name) !== current)
    .map((e) => ({ path: join(cacheDir, e.name), at: statSync(join(cacheDir, e.name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of builds.slice(KEEP)) rmSync(old.path, { recursive: true, force: true });
}
