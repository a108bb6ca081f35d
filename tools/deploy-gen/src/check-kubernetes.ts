import * as models from 'kubernetes-models';
import { DATA_DIR } from './model.ts';

/** A Kubernetes object as read from YAML. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** kubernetes-models' export for an apiVersion: "networking.k8s.io/v1" is networkingK8sIo.v1, "v1" is v1. */
function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  const groupKey = group === '' ? undefined : group.replace(/\.([a-z])/g, (_, c: string) => c.toUpperCase());
  const root = models as unknown as Record<string, Record<string, Record<string, unknown>> | Record<string, unknown>>;
  const versions = (groupKey === undefined ? root : root[groupKey]) as Record<string, Record<string, unknown>> | undefined;
  const cls = versions?.[version]?.[kind];
  return typeof cls === 'function' ? (cls as ModelClass) : undefined;
}

/** Validate one object against the Kubernetes OpenAPI schema of its kind; an unknown kind is a problem too. */
export function validateObject(obj: K8sObject): string[] {
  const where = `${obj.kind ?? '?'}/${obj.metadata?.name ?? '?'}`;
  const Model = typeof obj.apiVersion === 'string' && typeof obj.kind === 'string' ? modelFor(obj.apiVersion, obj.kind) : undefined;
  if (!Model) return [`${where}: no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    const { apiVersion: _a, kind: _k, ...data } = obj;
    new Model(data).validate();
    return [];
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
}

interface Probe { httpGet?: { path?: string; port?: unknown } }
interface Container {
  name?: string;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
    seccompProfile?: { type?: string };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
  containers?: Container[];
  volumes?: { name: string; emptyDir?: unknown }[];
}

/** The hardening and operability rules every Deployment must meet (deploy/README.md). */
export function checkDeployment(obj: K8sObject): string[] {
  const name = obj.metadata?.name ?? '?';
  const pod = ((obj.spec?.template as { spec?: PodSpec } | undefined)?.spec ?? {}) as PodSpec;
  const problems: string[] = [];
  const containers = pod.containers ?? [];
  if (containers.length === 0) problems.push(`Deployment/${name}: no containers`);
  for (const c of containers) {
    const at = `Deployment/${name} container ${c.name ?? '?'}`;
    if (c.readinessProbe?.httpGet?.path !== '/readyz') problems.push(`${at}: readinessProbe must GET /readyz`);
    if (c.livenessProbe?.httpGet?.path !== '/healthz') problems.push(`${at}: livenessProbe must GET /healthz`);
    for (const kind of ['requests', 'limits'] as const) {
      for (const resource of ['cpu', 'memory']) if (!c.resources?.[kind]?.[resource]) problems.push(`${at}: resources.${kind}.${resource} is missing`);
    }
    const sc = c.securityContext ?? {};
    if (sc.runAsNonRoot !== true && pod.securityContext?.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot must be true`);
    if (sc.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem must be true`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation must be false`);
    if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities must drop ALL`);
    if ((sc.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type) !== 'RuntimeDefault') problems.push(`${at}: seccompProfile must be RuntimeDefault`);
    for (const path of ['/tmp', DATA_DIR]) {
      const mount = c.volumeMounts?.find((m) => m.mountPath === path);
      const volume = mount && pod.volumes?.find((v) => v.name === mount.name);
      if (!volume?.emptyDir) problems.push(`${at}: ${path} must be an emptyDir volume (the root filesystem is read-only)`);
    }
  }
  return problems;
}

const selects = (selector: unknown, name: string) => (selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels?.['app.kubernetes.io/name'] === name;

/**
 * Rules across objects: every Deployment has its Service, HPA, PDB and
 * NetworkPolicy; a default-deny policy exists; only the gateway's policy
 * admits traffic from anywhere.
 */
export function checkObjects(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const policies = of('NetworkPolicy');
  for (const d of of('Deployment')) {
    const name = d.metadata?.name ?? '?';
    problems.push(...checkDeployment(d));
    if (!of('Service').some((s) => (s.spec?.selector as Record<string, string> | undefined)?.['app.kubernetes.io/name'] === name)) problems.push(`Deployment/${name}: no Service selects it`);
    const hpa = of('HorizontalPodAutoscaler').find((h) => (h.spec?.scaleTargetRef as { name?: string } | undefined)?.name === name);
    if (!hpa || hpa.apiVersion !== 'autoscaling/v2') problems.push(`Deployment/${name}: no autoscaling/v2 HorizontalPodAutoscaler targets it`);
    if (!of('PodDisruptionBudget').some((p) => selects(p.spec?.selector, name))) problems.push(`Deployment/${name}: no PodDisruptionBudget covers it`);
    if (!policies.some((p) => selects(p.spec?.podSelector, name))) problems.push(`Deployment/${name}: no NetworkPolicy of its own`);
  }
  const denyAll = policies.some((p) => Object.keys((p.spec?.podSelector as object | undefined) ?? { x: 1 }).length === 0 && !p.spec?.ingress && !p.spec?.egress);
  if (!denyAll) problems.push('no default-deny NetworkPolicy (empty podSelector, no rules)');
  for (const p of policies) {
    const open = ((p.spec?.ingress as { from?: unknown[] }[] | undefined) ?? []).some((rule) => !rule.from || rule.from.length === 0);
    const target = (p.spec?.podSelector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels?.['app.kubernetes.io/name'];
    if (open && target !== 'gateway') problems.push(`NetworkPolicy/${p.metadata?.name}: admits traffic from anywhere, but only the gateway may`);
  }
  return problems;
}
