import { Problem, areaOf, type RouteDef } from '@bazaar/contracts';
import type { Access, RouteTable } from '../routes.ts';

/** The parts of an OpenAPI 3.1 document the gateway publishes. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: unknown;
}

export interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: Record<string, string[]>[];
  'x-bazaar-access'?: Access;
  'x-bazaar-service'?: string;
  [key: string]: unknown;
}

/** What the gateway itself may answer on any route, besides what the service declares. */
const EDGE_ERRORS: Record<number, string> = {
  414: 'The URL is too long (gateway)',
  429: 'Rate limit reached; see Retry-After and RateLimit-* (gateway)',
  502: 'The service closed the connection before answering (UPSTREAM_RESET), or failed without a problem document (gateway)',
  503: 'No healthy instance, or the circuit is open (gateway)',
  504: 'The service did not answer within the deadline (gateway)',
};

/** A TypeBox schema as plain JSON Schema (TypeBox's symbol-keyed metadata dropped). */
const plain = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema)) as unknown;

function parameters(schema: unknown, where: Parameter['in']): Parameter[] {
  const s = schema as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (s?.required ?? []).includes(name),
    ...(property.description === undefined ? {} : { description: property.description }),
    schema: plain(property),
  }));
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: plain(Problem) } } });

function operation(def: RouteDef, access: Access): Operation {
  const responses: NonNullable<Operation['responses']> = {};
  for (const [status, schema] of Object.entries(def.responses)) {
    const description = (schema as { description?: string }).description ?? 'Success';
    responses[status] = status === '204' ? { description } : { description, content: { 'application/json': { schema: plain(schema) } } };
  }
  for (const status of def.errors) responses[String(status)] = problem('Problem details (RFC 9457)');
  if (def.body !== undefined) responses['413'] ??= problem('The body is larger than this route accepts (gateway)');
  if (access !== 'public') responses['401'] ??= problem('No valid access token (gateway)');
  if (access === 'admin') responses['403'] ??= problem('The token lacks the admin role (gateway)');
  for (const [status, description] of Object.entries(EDGE_ERRORS)) responses[status] ??= problem(description);
  return {
    summary: def.summary,
    ...(def.description === undefined ? {} : { description: def.description }),
    tags: [`${def.service}${def.tags?.[0] ? ` · ${def.tags[0]}` : ''}`],
    parameters: [...parameters(def.params, 'path'), ...parameters(def.query, 'query'), ...parameters(def.headers, 'header')],
    ...(def.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: plain(def.body) } } } }),
    responses,
    security: access === 'public' ? [{}, { bearer: [] }] : [{ bearer: [] }],
    'x-bazaar-service': def.service,
    'x-bazaar-access': access,
  };
}

/**
 * The document the gateway publishes at /docs/openapi.json, generated from
 * the route descriptors: exactly the operations its routing table exposes
 * (never /internal), each with who may call it and every status it may
 * answer, the gateway's own included.
 */
export function documentFromDescriptors(defs: readonly RouteDef[], routes: RouteTable): OpenApiDocument {
  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: 'Bazaar API',
      version: '1',
      description: 'Every public endpoint of Bazaar, as served through the gateway. Access: public (anyone), user (a valid access token), admin (a token with the admin role). Errors are application/problem+json (RFC 9457).',
    },
    servers: [{ url: '/' }],
    tags: [],
    paths: {},
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  };
  const tags = new Set<string>();
  for (const def of defs) {
    const area = areaOf(def);
    if (area === undefined || !routes.has(area)) continue;
    const concrete = def.path.replace(/:[A-Za-z0-9_]+/g, 'x');
    const route = routes.match(area, def.method, concrete);
    if (!route) continue;
    const op = operation(def, route.access);
    for (const tag of op.tags ?? []) tags.add(tag);
    const path = def.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    doc.paths[path] = { ...doc.paths[path], [def.method.toLowerCase()]: op };
  }
  doc.tags = [...tags].sort().map((name) => ({ name }));
  return doc;
}
