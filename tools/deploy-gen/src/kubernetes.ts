import { ADMIN_PORT, APP_UID, CONTAINER_PORT, DATA_DIR, INFRA_NAMESPACE, MEASURED_IDLE_RSS_MIB, POSTGRES_BUDGET, upstreamTable, type DeployService } from './model.ts';

type Json = Record<string, unknown>;

const PART_OF = 'app.kubernetes.io/part-of';
const NAME = 'app.kubernetes.io/name';
/** Name of the ConfigMap every service reads shared, non-secret settings from (generated per overlay). */
export const CONFIG_MAP = 'bazaar-config';
/** Name of the Secret holding credentials; created by the operator, never committed (deploy/README.md). */
export const SECRET = 'bazaar-secrets';
/** Secret keys without which a service must not start; the others fall back to embedded mode when absent. */
const REQUIRED_SECRETS = new Set(['ADMIN_PASSWORD']);
/** The Secret holding each service's own credential, one key per service (`npm run credentials`, deploy/README.md). */
export const CREDENTIALS_SECRET = 'bazaar-service-credentials';
/** The ConfigMap holding, per service, the digests of the callers it verifies (not secret; `npm run credentials`). */
export const CALLERS_CONFIG_MAP = 'bazaar-service-callers';
const SMTP_PORTS = [25, 465, 587, 1025, 2525];

const urlVar = (name: string) => `${name.toUpperCase().replaceAll('-', '_')}_URL`;
const serviceUrl = (name: string) => `http://${name}`;
const tcp = (port: number) => ({ protocol: 'TCP', port });
/** Outside the cluster (ipBlock) and inside it (any namespace): some CNIs match pod IPs only by selector. */
const anywhere = [{ ipBlock: { cidr: '0.0.0.0/0' } }, { namespaceSelector: {} }];

/**
 * The readiness probe waits longer than /readyz waits for its own checks
 * (the kit's READINESS_TIMEOUT_MS, 2 s), so a slow dependency reads as
 * "not ready" (503), not as a probe timeout.
 */
export const READINESS_PROBE_TIMEOUT_SECONDS = 3;

/** CPU requested per pod (millicores): the HPA's 70 % target is relative to it. */
const CPU_REQUEST_M = { gateway: 250, service: 100, singleton: 100 } as const;

/** The memory request: the measured idle RSS plus a quarter (the heap grows under load), rounded up to 16 MiB. */
export function memoryRequestMib(s: DeployService): number {
  const idle = MEASURED_IDLE_RSS_MIB[s.name] ?? 192;
  return Math.ceil((idle * 1.25) / 16) * 16;
}

/** Kubernetes' recommended labels (app.kubernetes.io/*), plus Bazaar's scaling class. */
function labels(s: DeployService): Record<string, string> {
  return {
    [NAME]: s.name,
    'app.kubernetes.io/instance': `bazaar-${s.name}`,
    'app.kubernetes.io/version': s.version,
    [PART_OF]: 'bazaar',
    'app.kubernetes.io/component': s.gateway ? 'gateway' : 'service',
    'app.kubernetes.io/managed-by': 'kustomize',
    // The prod overlay scales what may scale; a singleton keeps exactly one pod.
    'bazaar/scaling': s.singleton ? 'singleton' : 'horizontal',
  };
}

function env(s: DeployService, all: DeployService[]): Json[] {
  const out: Json[] = [
    { name: 'BAZAAR_SERVICE', value: s.name },
    { name: 'BAZAAR_INSTANCE', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    // Spans name their service and pod; where they go (OTEL_EXPORTER_OTLP_ENDPOINT) and how many are sampled
    // come from the overlay's ConfigMap (docs/observability.md).
    { name: 'OTEL_SERVICE_NAME', value: s.name },
    { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'service.instance.id=$(BAZAAR_INSTANCE),deployment.environment.name=kubernetes' },
  ];
  for (const up of s.urlSettings) out.push({ name: urlVar(up), value: serviceUrl(up) });
  if (s.gateway) {
    out.push({ name: 'BAZAAR_UPSTREAMS', value: upstreamTable(all, serviceUrl) });
    // Metrics and readiness on their own port, reachable by the kubelet and the scraper only (NetworkPolicy).
    out.push({ name: 'ADMIN_HOST', value: '0.0.0.0' }, { name: 'ADMIN_PORT', value: String(ADMIN_PORT) });
  }
  for (const key of s.secrets) {
    out.push({ name: key, valueFrom: { secretKeyRef: { name: SECRET, key, optional: !REQUIRED_SECRETS.has(key) } } });
  }
  if (s.credential) {
    // Its own credential only (its key of the Secret), and its callers' digests: never another service's secret.
    out.push({ name: 'BAZAAR_SERVICE_CREDENTIAL', valueFrom: { secretKeyRef: { name: CREDENTIALS_SECRET, key: s.name, optional: false } } });
    out.push({ name: 'BAZAAR_SERVICE_CALLERS', valueFrom: { configMapKeyRef: { name: CALLERS_CONFIG_MAP, key: s.name, optional: false } } });
  }
  return out;
}

function deployment(s: DeployService, all: DeployService[]): Json {
  const probe = (path: string, periodSeconds: number, failureThreshold: number, port = 'http', timeoutSeconds = 2) => ({
    httpGet: { path, port },
    periodSeconds,
    timeoutSeconds,
    failureThreshold,
  });
  const metricsPort = s.gateway ? ADMIN_PORT : CONTAINER_PORT;
  const cpu = CPU_REQUEST_M[s.gateway ? 'gateway' : s.singleton ? 'singleton' : 'service'];
  const memory = memoryRequestMib(s);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, labels: labels(s), annotations: { 'bazaar/description': s.description } },
    spec: {
      // No spec.replicas: the HorizontalPodAutoscaler owns the count.
      revisionHistoryLimit: 5,
      selector: { matchLabels: { [NAME]: s.name } },
      // One process owns a DuckDB file: stop the old pod before the new one opens it.
      strategy: s.singleton ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: labels(s),
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPort), 'prometheus.io/path': '/metrics' },
        },
        spec: {
          serviceAccountName: s.name,
          automountServiceAccountToken: false,
          // Kubernetes would otherwise inject CATALOG_PORT=tcp://… style variables into every pod.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: APP_UID,
            runAsGroup: APP_UID,
            fsGroup: APP_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // Pods of a service spread over nodes and over zones, so losing one of either leaves the others serving.
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { [NAME]: s.name } } },
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { [NAME]: s.name } } },
          ],
          containers: [
            {
              name: s.name,
              image: `bazaar/${s.name}:${s.version}`,
              imagePullPolicy: 'IfNotPresent',
              ports: [
                { name: 'http', containerPort: CONTAINER_PORT, protocol: 'TCP' },
                ...(s.gateway ? [{ name: 'admin', containerPort: ADMIN_PORT, protocol: 'TCP' }] : []),
              ],
              env: env(s, all),
              envFrom: [{ configMapRef: { name: CONFIG_MAP } }],
              // Migrations run at start-up: give them time before liveness counts.
              startupProbe: probe('/healthz', 2, 60),
              readinessProbe: probe('/readyz', 5, 3, s.gateway ? 'admin' : 'http', READINESS_PROBE_TIMEOUT_SECONDS),
              livenessProbe: probe('/healthz', 10, 3),
              // Let endpoints drop the pod before the service stops accepting (it then drains on SIGTERM).
              lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
              // Requests from measured idle memory (MEASURED_IDLE_RSS_MIB); limits leave room for load.
              resources: s.singleton
                ? { requests: { cpu: `${cpu}m`, memory: `${Math.max(memory, 256)}Mi` }, limits: { cpu: '1', memory: '1Gi' } }
                : { requests: { cpu: `${cpu}m`, memory: `${memory}Mi` }, limits: { cpu: '1', memory: `${Math.max(512, memory * 2)}Mi` } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'data', mountPath: DATA_DIR },
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
          ],
        },
      },
    },
  };
}

function networkPolicy(s: DeployService, all: DeployService[]): Json {
  const pods = (names: string[]) => names.map((n) => ({ podSelector: { matchLabels: { [NAME]: n } } }));
  // The gateway is the door: any source. Everyone else: only the services that have its URL.
  const ingress = s.gateway ? [{ ports: [tcp(CONTAINER_PORT)] }] : s.callers.length > 0 ? [{ from: pods(s.callers), ports: [tcp(CONTAINER_PORT)] }] : [];
  const egress: Json[] = [];
  const upstreams = s.upstreams.filter((u) => all.some((o) => o.name === u));
  if (upstreams.length > 0) egress.push({ to: pods(upstreams), ports: [tcp(CONTAINER_PORT)] });
  if (s.needs.smtp) egress.push({ to: anywhere, ports: SMTP_PORTS.map(tcp) });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: s.name, labels: { [PART_OF]: 'bazaar' } },
    spec: { podSelector: { matchLabels: { [NAME]: s.name } }, policyTypes: ['Ingress', 'Egress'], ingress, egress },
  };
}

/** Every object of one service, in apply order. */
export function serviceManifests(s: DeployService, all: DeployService[]): Json[] {
  const meta = { name: s.name, labels: labels(s) };
  const selector = { matchLabels: { [NAME]: s.name } };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta, automountServiceAccountToken: false },
    deployment(s, all),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta,
      spec: { type: 'ClusterIP', selector: selector.matchLabels, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
        minReplicas: 1,
        maxReplicas: s.singleton ? 1 : 3,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
      },
    },
    // maxUnavailable (not minAvailable) so a single-pod service never blocks a node drain.
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta, spec: { maxUnavailable: 1, selector } },
    networkPolicy(s, all),
  ];
}

/** The namespace, and the policies for every pod of Bazaar: deny by default, then DNS, infrastructure and metrics scraping. */
export function commonManifests(): Json[] {
  const everyPod = { matchLabels: { [PART_OF]: 'bazaar' } };
  const meta = (name: string) => ({ name, labels: { [PART_OF]: 'bazaar' } });
  return [
    {
      // Overlays rename it with their `namespace:`. The restricted Pod Security Standard matches what every
      // Bazaar pod declares (non-root, no escalation, no capabilities, RuntimeDefault seccomp).
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'bazaar',
        labels: { [PART_OF]: 'bazaar', 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
      },
    },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('default-deny-all'), spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('allow-dns'),
      spec: {
        podSelector: everyPod,
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [{ protocol: 'UDP', port: 53 }, tcp(53)],
          },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('allow-infrastructure-egress'),
      spec: {
        podSelector: everyPod,
        policyTypes: ['Egress'],
        // PostgreSQL, Redis, NATS, OTLP (gRPC and HTTP): only to the infrastructure namespace
        // (INFRA_NAMESPACE; an overlay replaces this rule for an ipBlock of managed databases).
        egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': INFRA_NAMESPACE } } }], ports: [5432, 6379, 4222, 4317, 4318].map(tcp) }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('allow-metrics-scrape'),
      spec: {
        podSelector: everyPod,
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [tcp(CONTAINER_PORT), tcp(ADMIN_PORT)] }],
      },
    },
  ];
}

/** The base kustomization: common objects, one file per service, the shared ConfigMap's defaults. */
export function baseKustomization(services: DeployService[]): Json {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['common.yaml', ...services.map((s) => `services/${s.name}.yaml`)],
    // Overlays merge their settings (NATS_URL, REDIS_URL…) into this one ConfigMap.
    configMapGenerator: [{ name: CONFIG_MAP, literals: ['LOG_LEVEL=info'] }],
  };
}

/** Most pods of a service on PostgreSQL, so that every pod's pool together fits the server's connection budget. */
export function postgresMaxReplicas(services: DeployService[]): number {
  const onPostgres = services.filter((s) => s.needs.postgres).length;
  return Math.floor((POSTGRES_BUDGET.maxConnections - POSTGRES_BUDGET.reserved) / (onPostgres * POSTGRES_BUDGET.poolSize));
}

/**
 * The prod overlay's generated patches (overlays/prod/production.yaml):
 * infrastructure a service needs is a required Secret key (no silent
 * fallback to a per-pod SQLite file or an in-process feed), and replica
 * counts fit the PostgreSQL connection budget.
 */
export function prodPatches(services: DeployService[]): Json[] {
  const out: Json[] = [];
  const maxOnPostgres = postgresMaxReplicas(services);
  for (const s of services) {
    const required = [...(s.needs.postgres ? ['BAZAAR_POSTGRES_URL'] : []), ...(s.needs.nats ? ['NATS_URL'] : []), ...(s.needs.redis ? ['REDIS_URL'] : [])].filter((k) => s.secrets.includes(k));
    if (required.length > 0) {
      out.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: s.name },
        spec: {
          template: {
            spec: {
              containers: [{ name: s.name, env: required.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: SECRET, key, optional: false } } })) }],
            },
          },
        },
      });
    }
    out.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: s.name },
      spec: s.singleton ? { minReplicas: 1, maxReplicas: 1 } : { minReplicas: 2, maxReplicas: s.needs.postgres ? maxOnPostgres : 10 },
    });
  }
  return out;
}
