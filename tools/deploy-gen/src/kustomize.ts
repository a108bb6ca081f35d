import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './check-kubernetes.ts';

/** Every document of a YAML stream; throws naming the file on the first syntax error. */
export function parseYamlStream(text: string, file: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as unknown;
  }).filter((d) => d !== null);
}

/** Why kustomize cannot run here, or undefined when `kubectl kustomize` is available. */
export function kustomizeUnavailable(): string | undefined {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return `kubectl is not installed (${probe.error.message})`;
  if (probe.status !== 0) return `kubectl does not run: ${probe.stderr.trim()}`;
  return undefined;
}

/** The objects `kubectl kustomize <dir>` builds, offline (no cluster needed). */
export function kustomize(dir: string): K8sObject[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr || run.error?.message}`);
  return parseYamlStream(run.stdout, dir) as K8sObject[];
}

/**
 * Build an overlay of deploy/kubernetes the way an operator would: where the
 * overlay generates objects from files that are never committed (secrets.env,
 * service-credentials.env, service-callers.env), a copy is built with their
 * committed `.example` in their place.
 */
export function kustomizeOverlay(overlayDir: string): K8sObject[] {
  const missing = readdirSync(overlayDir).filter((f) => f.endsWith('.example') && !existsSync(join(overlayDir, f.slice(0, -'.example'.length))));
  if (missing.length === 0) return kustomize(overlayDir);
  const kube = dirname(dirname(overlayDir));
  const copy = mkdtempSync(join(tmpdir(), 'bazaar-kustomize-'));
  try {
    cpSync(kube, copy, { recursive: true });
    const overlay = join(copy, 'overlays', basename(overlayDir));
    for (const example of missing) cpSync(join(overlay, example), join(overlay, example.slice(0, -'.example'.length)));
    return kustomize(overlay);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
