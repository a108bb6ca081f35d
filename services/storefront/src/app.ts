import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, createServiceApp, sendProblem, toAppError, type Clock, type Logger, type ReadinessCheck, type ServiceApp } from '@bazaar/kit';
import { loadAssets, type Assets } from './assets.ts';
import type { ImageBytes, ProductImageRepository, SessionRepository } from './domain/model.ts';
import { errors } from './errors.ts';
import { productImages } from './images.ts';
import { createPages, type Pages } from './render.ts';
import { accountRoutes } from './routes/account.ts';
import { adminRoutes } from './routes/admin.ts';
import { adminCustomerRoutes } from './routes/admin-customers.ts';
import { adminOrderRoutes } from './routes/admin-orders.ts';
import { cartRoutes } from './routes/cart.ts';
import { checkoutRoutes } from './routes/checkout.ts';
import { imageRoutes } from './routes/images.ts';
import { shopRoutes } from './routes/shop.ts';
import { wantsJson } from './routes/support.ts';
import { createSessions, type Sessions } from './session.ts';
import { upstreamFailure, type ShopApi } from './upstream/shop.ts';

export interface StorefrontDeps {
  logger: Logger;
  /** The shop API through the gateway. */
  api: ShopApi;
  sessions: SessionRepository;
  imageRepo: ProductImageRepository;
  imageBytes: ImageBytes;
  cookieSecret: string;
  sessionTtlSeconds?: number;
  imageMaxBytes?: number;
  imageMaxPixels?: number;
  lowStock?: number;
  orderWaitMs?: number;
  currency?: string;
  readiness?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  defaultMetrics?: boolean;
  /** Time for what the pages keep a while (the category menu, the home page's rows); the system clock by default. */
  clock?: Clock;
}

export interface Storefront {
  app: ServiceApp;
  assets: Assets;
  sessions: Sessions;
}

const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

/** Pages for errors: a browser gets an HTML page in the shop's layout, a script gets problem+json. */
function errorPages(app: ServiceApp, pages: Pages, sessions: Sessions) {
  const send = async (request: FastifyRequest, reply: FastifyReply, error: AppError) => {
    if (wantsJson(request) || request.method === 'HEAD') return sendProblem(request, reply, error);
    const section = request.url.startsWith('/admin') ? 'admin' : 'shop';
    try {
      return await pages.render(request, reply, 'error', { title: error.title, status: error.status, heading: error.title, detail: error.message !== error.title ? error.message : undefined, section });
    } catch (renderError) {
      request.log.error({ err: renderError }, 'error page failed');
      return sendProblem(request, reply, error);
    }
  };

  // The kit owns the root not-found handler; inside this scope a catch-all route renders the page instead.
  app.route({ method: ['GET', 'HEAD', 'POST'], url: '/*', schema: { hide: true }, handler: async (request, reply) => send(request, reply, errors.PAGE_NOT_FOUND()) });
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const code = (error as { code?: string }).code;
    if (code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') return send(request, reply, errors.CSRF_REJECTED());
    if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT') return send(request, reply, errors.IMAGE_TOO_LARGE('Choose a smaller file.'));
    const failure = upstreamFailure(error);
    if (failure?.status === 401 && request.session) {
      // The token was refused although the session looked fine (revoked, keys rotated): sign out cleanly.
      await sessions.signOut(request, reply);
      return reply.code(303).header('location', `/account/login?next=${encodeURIComponent(request.url)}`).send();
    }
    if (failure?.status === 403) return send(request, reply, errors.ADMIN_ONLY());
    if (failure?.status === 429) return send(request, reply, new AppError({ code: 'RATE_LIMITED', status: 429, title: 'Too many requests: please wait a moment and try again' }));
    if (failure || (error instanceof AppError && error.status >= 500 && error.code.startsWith('UPSTREAM'))) {
      request.log.warn({ err: error }, 'shop API failed');
      return send(request, reply, errors.SHOP_UNAVAILABLE());
    }
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    return send(request, reply, appError);
  });
}

/** The storefront's HTTP app (no listen()). */
export function buildApp(deps: StorefrontDeps): Storefront {
  const app = createServiceApp({
    name: 'storefront',
    description: "The shopper's storefront and the merchant's back office (server-rendered HTML)",
    logger: deps.logger,
    readiness: deps.readiness ?? {},
    ...(deps.bodyLimit === undefined ? {} : { bodyLimit: deps.bodyLimit }),
    ...(deps.defaultMetrics === undefined ? {} : { defaultMetrics: deps.defaultMetrics }),
  });
  const assets = loadAssets(PUBLIC_DIR);
  const pages = createPages({ api: deps.api, assets, logger: deps.logger, ...(deps.clock ? { clock: deps.clock } : {}) });
  const sessions = createSessions({ repo: deps.sessions, api: deps.api, ttlSeconds: deps.sessionTtlSeconds ?? 2_592_000, logger: deps.logger });
  const images = productImages({ repo: deps.imageRepo, bytes: deps.imageBytes, maxBytes: deps.imageMaxBytes ?? 5_000_000, maxPixels: deps.imageMaxPixels ?? 1200 });
  const lowStock = deps.lowStock ?? 5;

  app.register(cookie, { secret: deps.cookieSecret });
  app.register(formbody, { bodyLimit: 65_536 });
  app.register(multipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: deps.imageMaxBytes ?? 5_000_000, files: 1, fields: 20 } });
  // Double-submit CSRF: a signed secret in an httpOnly cookie, a token derived from it in every form.
  app.register(csrf, { sessionPlugin: '@fastify/cookie', cookieOpts: { signed: true, httpOnly: true, sameSite: 'lax', path: '/' }, getToken: (req) => tokenOf(req) });
  app.register(async (scope) => {
    errorPages(scope, pages, sessions);
    scope.decorateRequest('session', undefined);
    scope.addHook('onRequest', async (request, reply) => {
      // Security headers for pages (the gateway adds its own set too).
      reply.header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin');
      reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      if (!request.url.startsWith('/assets/') && !request.url.startsWith('/images/')) await sessions.load(request, reply);
    });
    scope.addHook('preHandler', (request, reply, done) => {
      if (request.method === 'POST') return scope.csrfProtection(request, reply, done);
      done();
    });
    assets.register(scope);
    scope.register(shopRoutes({ api: deps.api, pages, images: deps.imageRepo, lowStock, logger: deps.logger, ...(deps.clock ? { clock: deps.clock } : {}) }));
    scope.register(cartRoutes({ api: deps.api, pages, sessions, images: deps.imageRepo }));
    scope.register(checkoutRoutes({ api: deps.api, pages, sessions, orderWaitMs: deps.orderWaitMs ?? 4000 }));
    scope.register(accountRoutes({ api: deps.api, pages, sessions }));
    scope.register(imageRoutes({ api: deps.api, images }));
    scope.register(adminRoutes({ api: deps.api, pages, images, imageRepo: deps.imageRepo, lowStock, currency: deps.currency ?? 'EUR' }));
    scope.register(adminCustomerRoutes({ api: deps.api, pages }));
    scope.register(adminOrderRoutes({ api: deps.api, pages }));
  });
  return { app, assets, sessions };
}

function tokenOf(request: FastifyRequest): string | void {
  const body = request.body as Record<string, unknown> | undefined;
  const fromBody = body?._csrf;
  if (typeof fromBody === 'string') return fromBody;
  const header = request.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
}
