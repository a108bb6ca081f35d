/**
 * Contracts that cannot drift (issue 11 #8): real answers, recorded while a
 * test drives the running system, are checked against the OpenAPI documents
 * the same system publishes (each service's /openapi.json, the gateway's
 * /docs/openapi.json). An answer matches when its operation is documented,
 * its status is declared, its media type is one the status declares, and its
 * body is valid against the declared schema (JSON Schema 2020-12, as OpenAPI
 * 3.1 uses it).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** One answer as a client saw it. */
export interface Exchange {
  method: string;
  /** Absolute URL the request went to. */
  url: string;
  status: number;
  /** The Content-Type header of the answer ('' when none). */
  contentType: string;
  /** The parsed JSON body, or undefined when the answer had no body or was not JSON. */
  body: unknown;
}

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses?: Record<string, ResponseObject>;
}
/** The parts of an OpenAPI 3.1 document the check reads. */
export interface OpenApiDocument {
  openapi?: string;
  paths?: Record<string, Record<string, Operation | unknown>>;
  components?: unknown;
}

/** A document and the URL prefix its paths are served under (a service's or the gateway's origin). */
export interface PublishedDocument {
  /** e.g. `http://127.0.0.1:8085`: an exchange whose URL starts with it is checked against `document`. */
  base: string;
  /** A name for messages (the service, or `gateway /docs`). */
  name: string;
  document: OpenApiDocument;
}

/** Why an answer does not match its contract. */
export interface Mismatch {
  exchange: Exchange;
  document: string;
  problem: string;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** Paths every service serves outside its contract (health, metrics, the document itself, the event feed). */
const PLUMBING = [/^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/openapi\.json$/, /^\/docs(\/.*)?$/, /^\/internal\/events(\/.*)?$/];

const escapePointer = (token: string) => encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'));

/** `application/problem+json; charset=utf-8` → `application/problem+json`. */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

interface Template {
  path: string;
  regex: RegExp;
  params: number;
}

function templates(document: OpenApiDocument): Template[] {
  return Object.keys(document.paths ?? {})
    .map((path) => {
      const params = (path.match(/\{[^}]+\}/g) ?? []).length;
      const source = path
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith('{') ? '([^/]+)' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
        .join('');
      return { path, regex: new RegExp(`^${source}$`), params };
    })
    // A literal path wins over a template that also matches it (`/products/search` over `/products/{id}`).
    .sort((a, b) => a.params - b.params);
}

/**
 * Build a checker over published documents. `check` returns what does not
 * match (empty when the answer is what its contract says).
 */
export function contractChecker(documents: readonly PublishedDocument[]) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
  addFormats(ajv);
  // Longest base first: a gateway at http://h:1 and a service at http://h:10 never shadow each other.
  const docs = [...documents]
    .sort((a, b) => b.base.length - a.base.length)
    .map((d, i) => {
      const id = `doc-${i}`;
      ajv.addSchema({ ...(d.document as object), $id: id }, id);
      return { ...d, id, templates: templates(d.document) };
    });
  const compiled = new Map<string, ValidateFunction>();

  function validator(docId: string, pointer: string): ValidateFunction {
    let fn = compiled.get(`${docId}#${pointer}`);
    if (!fn) {
      fn = ajv.compile({ $ref: `${docId}#${pointer}` });
      compiled.set(`${docId}#${pointer}`, fn);
    }
    return fn;
  }

  return {
    check(exchange: Exchange): Mismatch[] {
      const doc = docs.find((d) => exchange.url.startsWith(d.base) && /^($|[/?])/.test(exchange.url.slice(d.base.length)));
      if (!doc) return [];
      const path = new URL(exchange.url).pathname;
      if (PLUMBING.some((re) => re.test(path))) return [];
      const mismatch = (problem: string): Mismatch[] => [{ exchange, document: doc.name, problem }];
      const template = doc.templates.find((t) => t.regex.test(path));
      const method = exchange.method.toLowerCase();
      const operation = template ? (doc.document.paths?.[template.path]?.[method] as Operation | undefined) : undefined;
      if (!template || !operation || !METHODS.has(method)) return mismatch(`${exchange.method} ${path} is not documented`);
      const responses = operation.responses ?? {};
      const statusKey = String(exchange.status);
      const rangeKey = `${statusKey[0] ?? ''}XX`;
      const key = statusKey in responses ? statusKey : rangeKey in responses ? rangeKey : 'default' in responses ? 'default' : undefined;
      if (key === undefined) return mismatch(`status ${exchange.status} is not declared (declared: ${Object.keys(responses).join(', ')})`);
      const content = responses[key]?.content;
      const media = mediaTypeOf(exchange.contentType);
      if (content === undefined || Object.keys(content).length === 0) {
        return exchange.body === undefined ? [] : mismatch(`status ${key} declares no body, but one came (${media || 'no media type'})`);
      }
      if (!(media in content)) return mismatch(`status ${key}: media type ${media || '(none)'} is not declared (declared: ${Object.keys(content).join(', ')})`);
      if (content[media]?.schema === undefined) return [];
      const pointer = ['paths', template.path, method, 'responses', key, 'content', media, 'schema'].map(escapePointer).join('/');
      const validate = validator(doc.id, `/${pointer}`);
      if (validate(exchange.body)) return [];
      const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
      return mismatch(`status ${key} ${media}: body does not match the schema: ${errors.join('; ')}`);
    },
  };
}

/** Check every exchange; mismatches of the same operation, status and problem are reported once. */
export function checkExchanges(documents: readonly PublishedDocument[], exchanges: readonly Exchange[]): Mismatch[] {
  const checker = contractChecker(documents);
  const seen = new Set<string>();
  const out: Mismatch[] = [];
  for (const exchange of exchanges) {
    for (const m of checker.check(exchange)) {
      const key = `${m.document} ${exchange.method} ${new URL(exchange.url).pathname.replace(/[0-9a-f-]{36}/g, ':id')} ${m.problem}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(m);
    }
  }
  return out;
}

/** One line per mismatch, for a failing assertion. */
export function describeMismatches(mismatches: readonly Mismatch[]): string {
  return mismatches
    .map((m) => `${m.document}: ${m.exchange.method} ${new URL(m.exchange.url).pathname} → ${m.exchange.status}: ${m.problem}`)
    .join('\n');
}
