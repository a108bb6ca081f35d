import type { Readable } from 'node:stream';
import { commonErrors, createServiceApp, type Logger, type ServiceApp } from '@bazaar/kit';
import { createUpstream, forward, type Upstream } from './proxy.ts';
import { errors } from './errors.ts';

export interface GatewayDeps {
  logger: Logger;
  /** area -> base URL of the owning service */
  upstreams: Map<string, string>;
  timeoutMs: number;
  connectTimeoutMs: number;
  bodyLimit?: number;
  defaultMetrics?: boolean;
}

const AREA = /^\/api\/([a-z][a-z0-9-]*)(?:[/?]|$)/;

/**
 * The public entry point: `/api/<area>/...` goes to the service that owns
 * <area>, unchanged. The gateway reads no bodies; it streams them through.
 */
export function buildApp(deps: GatewayDeps): ServiceApp {
  const app = createServiceApp({
    name: 'gateway',
    description: 'Routes /api/<area>/... to the owning service',
    logger: deps.logger,
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  const bodyLimit = deps.bodyLimit ?? 1_048_576;
  const upstreams = new Map<string, Upstream>();
  for (const [area, url] of deps.upstreams) {
    upstreams.set(area, createUpstream(area, url, { timeoutMs: deps.timeoutMs, connectTimeoutMs: deps.connectTimeoutMs }));
  }

  app.register(async (scope) => {
    // Bodies are streamed to the service untouched, whatever their type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    scope.all('/api/*', { schema: { hide: true } }, async (request, reply) => {
      const area = AREA.exec(request.url)?.[1];
      const upstream = area === undefined ? undefined : upstreams.get(area);
      if (!upstream) {
        throw errors.UNKNOWN_AREA(`No service serves ${request.url.split('?')[0]}; known areas: ${[...upstreams.keys()].join(', ')}.`);
      }
      const length = Number(request.headers['content-length'] ?? 0);
      if (length > bodyLimit) throw commonErrors.BODY_TOO_LARGE(`The body is ${length} bytes; the limit is ${bodyLimit}.`);
      const hasBody = request.body !== undefined && request.body !== null;
      const res = await forward(upstream, {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: hasBody ? (request.body as Readable) : null,
        remoteAddress: request.ip,
        protocol: request.protocol,
        context: request.bazaar,
      });
      return reply.code(res.status).headers(res.headers).send(res.body);
    });
  });

  app.addHook('onClose', async () => {
    await Promise.all([...upstreams.values()].map((u) => u.pool.close()));
  });
  return app;
}
