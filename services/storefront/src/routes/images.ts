/** Product pictures: uploaded ones (immutable URLs), else generated artwork. */
import type { ServiceApp } from '@bazaar/kit';
import { productArtwork } from '../domain/artwork.ts';
import { errors } from '../errors.ts';
import type { ProductImages } from '../images.ts';
import { upstreamFailure, type ShopApi } from '../upstream/shop.ts';

const DAY = 86_400;

export function imageRoutes(deps: { api: ShopApi; images: ProductImages }) {
  return async (app: ServiceApp) => {
    app.get('/images/products/:file', { schema: { hide: true } }, async (request, reply) => {
      const { file } = request.params as { file: string };
      const m = /^(.{1,100})\.svg$/.exec(file);
      if (!m) throw errors.IMAGE_NOT_FOUND();
      const id = m[1] as string;
      // Cards name the category in the URL (?c=), so drawing needs no call; otherwise ask the catalog once.
      const c = (request.query as Record<string, unknown>).c;
      const category =
        typeof c === 'string' && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(c) && c.length <= 64
          ? c
          : (
              await deps.api.product(id).catch((error: unknown) => {
                if (upstreamFailure(error)?.status === 404) throw errors.IMAGE_NOT_FOUND();
                throw error;
              })
            ).category;
      // The drawing depends only on the id and the category: the same URL always gives the same picture.
      const svg = productArtwork({ id, category });
      reply.header('cache-control', `public, max-age=${DAY}`);
      return reply.type('image/svg+xml').send(svg);
    });

    app.get('/images/products/:id/:file', { schema: { hide: true } }, async (request, reply) => {
      const { id, file } = request.params as { id: string; file: string };
      const m = /^([0-9a-f]{20})\.webp$/.exec(file);
      const data = m ? await deps.images.read(id, m[1] as string) : undefined;
      if (!data) throw errors.IMAGE_NOT_FOUND();
      // The digest is in the URL: the bytes behind it never change.
      return reply.header('cache-control', 'public, max-age=31536000, immutable').type('image/webp').send(data);
    });
  };
}
