/**
 * Point the prod overlay at released images: a registry of your own and a
 * per-commit tag (or a digest), never the placeholder registry.invalid.
 *   npm run deploy:release -- --registry ghcr.io/acme/bazaar --tag "$(git rev-parse HEAD)"
 *   npm run deploy:release -- --registry ghcr.io/acme/bazaar --digest catalog=sha256:… --digest …
 * writes deploy/kubernetes/overlays/release/kustomization.yaml (not committed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { discoverServices } from '../../launcher/src/services.ts';

/** The release overlay: prod, with every image from `registry` at `tag` (or its digest). */
export function releaseKustomization(opts: { services: string[]; registry: string; tag?: string | undefined; digests?: Map<string, string> }): Record<string, unknown> {
  if (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(opts.registry) || opts.registry.startsWith('registry.invalid')) throw new Error(`--registry must be your registry, e.g. ghcr.io/acme/bazaar; got "${opts.registry}"`);
  if (opts.tag !== undefined && (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{6,127}$/.test(opts.tag) || /^(latest|unreleased|\d+\.\d+\.\d+)$/.test(opts.tag))) {
    throw new Error(`--tag must identify one build (a commit SHA), not "${opts.tag}"`);
  }
  const images = opts.services.map((name) => {
    const digest = opts.digests?.get(name);
    if (digest === undefined && opts.tag === undefined) throw new Error(`no --tag, and no --digest for ${name}`);
    return { name: `bazaar/${name}`, newName: `${opts.registry}/${name}`, ...(digest ? { digest } : { newTag: opts.tag }) };
  });
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['../prod'], images };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const { values } = parseArgs({ options: { registry: { type: 'string' }, tag: { type: 'string' }, digest: { type: 'string', multiple: true } } });
  const services = discoverServices(join(root, 'services')).map((s) => s.name);
  const digests = new Map((values.digest ?? []).map((d) => d.split('=') as [string, string]));
  const doc = releaseKustomization({ services, registry: values.registry ?? '', tag: values.tag, digests });
  const dir = join(root, 'deploy/kubernetes/overlays/release');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kustomization.yaml'), `# Written by npm run deploy:release; not committed.\n${stringify(doc)}`);
  console.log(`wrote ${join(dir, 'kustomization.yaml')}`);
}
