import type { ServiceApp } from '@bazaar/kit';
import type { RouteTable } from '../routes.ts';
import type { Upstream } from '../upstream/balancer.ts';
import { DOCS_CSP, renderDocs } from './html.ts';
import { mergeDocuments, type OpenApiDocument, type ServiceDocument } from './merge.ts';

const CACHE_MS = 30_000;
const FETCH_TIMEOUT_MS = 2000;

/** Fetch one service's /openapi.json from any of its instances. */
async function fetchDocument(upstream: Upstream): Promise<OpenApiDocument> {
  let lastError: unknown;
  for (const instance of upstream.instances) {
    try {
      const res = await instance.pool.request({ method: 'GET', path: '/openapi.json', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`answered ${res.statusCode}`);
      }
      return (await res.body.json()) as OpenApiDocument;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error('no instance');
}

/**
 * GET /docs (one browsable HTML reference) and GET /docs/openapi.json (the
 * merged document), built from every service's /openapi.json, fetched
 * through the same upstream pools and cached for half a minute.
 */
export function docsRoutes(deps: { upstreams: Map<string, Upstream>; routes: RouteTable }) {
  let cached: { at: number; doc: OpenApiDocument; html: string } | undefined;
  let inflight: Promise<{ doc: OpenApiDocument; html: string }> | undefined;

  async function build(): Promise<{ doc: OpenApiDocument; html: string }> {
    const services = new Map<Upstream, string[]>();
    for (const [area, upstream] of deps.upstreams) services.set(upstream, [...(services.get(upstream) ?? []), area]);
    const docs: ServiceDocument[] = await Promise.all(
      [...services].map(async ([upstream, areas]) => {
        try {
          return { service: upstream.name, areas, document: await fetchDocument(upstream) };
        } catch (error) {
          return { service: upstream.name, areas, error: (error as Error).message };
        }
      }),
    );
    const doc = mergeDocuments(docs, deps.routes);
    const complete = docs.every((d) => d.document);
    const html = renderDocs(doc);
    // An incomplete reference is served but not kept, so the next visit tries again.
    if (complete) cached = { at: Date.now(), doc, html };
    return { doc, html };
  }

  function current(): Promise<{ doc: OpenApiDocument; html: string }> {
    if (cached && Date.now() - cached.at < CACHE_MS) return Promise.resolve(cached);
    inflight ??= build().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  return async (app: ServiceApp) => {
    app.get('/docs', { schema: { hide: true } }, async (_request, reply) => {
      const { html } = await current();
      return reply.header('content-security-policy', DOCS_CSP).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
    });
    app.get('/docs/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
      const { doc } = await current();
      return reply.header('cache-control', 'no-cache').send(doc);
    });
  };
}
