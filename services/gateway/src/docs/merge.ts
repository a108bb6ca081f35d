import type { Access, RouteTable } from '../routes.ts';

/** The parts of an OpenAPI 3.1 document the merge reads and writes. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

export interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: Record<string, string[]>[];
  'x-bazaar-access'?: Access;
  'x-bazaar-service'?: string;
  [key: string]: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** One service's document as fetched, or why it is missing. */
export interface ServiceDocument {
  service: string;
  areas: string[];
  document?: OpenApiDocument;
  error?: string;
}

/**
 * Merge the services' documents into the one the gateway publishes: only
 * operations the routing table exposes (so /internal endpoints and anything
 * not routed never appear), each tagged with its service and marked with
 * who may call it; schemas and tags prefixed with the service name so two
 * services can never collide.
 */
export function mergeDocuments(docs: ServiceDocument[], routes: RouteTable): OpenApiDocument {
  const merged: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: 'Bazaar API',
      version: '1',
      description: 'Every public endpoint of Bazaar, as served through the gateway. Access: public (anyone), user (a valid access token), admin (a token with the admin role).',
    },
    servers: [{ url: '/' }],
    tags: [],
    paths: {},
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: {} },
  };
  const missing: string[] = [];
  for (const { service, areas, document, error } of docs) {
    if (!document) {
      missing.push(`${service} (${error ?? 'unavailable'})`);
      continue;
    }
    const rename = (ref: string) => ref.replace('#/components/schemas/', `#/components/schemas/${service}.`);
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      (merged.components?.schemas as Record<string, unknown>)[`${service}.${name}`] = rewriteRefs(schema, rename);
    }
    const tags = new Set<string>();
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const area = /^\/api\/([a-z][a-z0-9-]*)/.exec(path)?.[1];
      if (area === undefined || !areas.includes(area)) continue;
      const concrete = path.replace(/\{[^}]+\}/g, 'x');
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const route = routes.match(area, method.toUpperCase(), concrete);
        if (!route) continue;
        const tag = `${service}${operation.tags?.[0] ? ` · ${operation.tags[0]}` : ''}`;
        tags.add(tag);
        const out: Operation = {
          ...(rewriteRefs(operation, rename) as Operation),
          tags: [tag],
          'x-bazaar-service': service,
          'x-bazaar-access': route.access,
          security: route.access === 'public' ? [{}, { bearer: [] }] : [{ bearer: [] }],
        };
        merged.paths[path] = { ...merged.paths[path], [method]: out };
      }
    }
    for (const name of [...tags].sort()) merged.tags?.push({ name, description: document.info?.description ?? '' });
  }
  if (missing.length > 0) merged.info.description += ` Not shown (their documents could not be fetched just now): ${missing.join(', ')}.`;
  return merged;
}

function rewriteRefs(value: unknown, rename: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = key === '$ref' && typeof v === 'string' ? rename(v) : rewriteRefs(v, rename);
  return out;
}
