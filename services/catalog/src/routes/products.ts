import { Type } from 'typebox';
import type { Authenticator, ServiceApp } from '@bazaar/kit';
import { errorResponses } from '@bazaar/contracts/common';
import { CreateProductRequest, ListProductsQuery, Product, ProductPage, UpdateProductRequest } from '@bazaar/contracts/catalog';
import type { Catalog } from '../domain/products.ts';

const ProductParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** Products: public reads, admin writes. */
export function productRoutes(deps: { catalog: Catalog; auth: Authenticator }) {
  // Checked in onRequest, before the body is read or validated: a caller
  // without the right gets 401/403 and no feedback on the payload, and the
  // server never parses bodies for anonymous callers.
  const adminOnly = deps.auth.requireRole('admin');
  return async (app: ServiceApp) => {
    app.get(
      '/api/catalog/products',
      { schema: { summary: 'List products, one page at a time', tags: ['products'], querystring: ListProductsQuery, response: { 200: ProductPage, ...errorResponses(400) } } },
      async (request) => deps.catalog.list(request.query),
    );

    app.get(
      '/api/catalog/products/:id',
      { schema: { summary: 'One product', tags: ['products'], params: ProductParams, response: { 200: Product, ...errorResponses(404) } } },
      async (request) => deps.catalog.get(request.params.id),
    );

    app.post(
      '/api/catalog/products',
      {
        onRequest: adminOnly,
        schema: { summary: 'Create a product (admin)', tags: ['products'], security: [{ bearer: [] }], body: CreateProductRequest, response: { 201: Product, ...errorResponses(400, 401, 403, 409) } },
      },
      async (request, reply) => reply.code(201).send(await deps.catalog.create(request.body)),
    );

    app.patch(
      '/api/catalog/products/:id',
      {
        onRequest: adminOnly,
        schema: { summary: 'Change some fields of a product (admin)', tags: ['products'], security: [{ bearer: [] }], params: ProductParams, body: UpdateProductRequest, response: { 200: Product, ...errorResponses(400, 401, 403, 404, 409) } },
      },
      async (request) => deps.catalog.update(request.params.id, request.body),
    );
  };
}
