import { serve, type ServiceApp } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/catalog';
import type { Catalog } from '../domain/products.ts';

/** Products: public reads, admin writes (access declared in the contract, enforced by the kit before the body is read). */
export function productRoutes(deps: { catalog: Catalog }) {
  return async (app: ServiceApp) => {
    serve(app, routes.listProducts, async (request) => deps.catalog.list(request.query));
    serve(app, routes.getProduct, async (request) => deps.catalog.get(request.params.id));
    serve(app, routes.createProduct, async (request, reply) => reply.code(201).send(await deps.catalog.create(request.body)));
    serve(app, routes.updateProduct, async (request) => deps.catalog.update(request.params.id, request.body));
    serve(app, routes.archiveProduct, async (request) => deps.catalog.setArchived(request.params.id, true));
    serve(app, routes.unarchiveProduct, async (request) => deps.catalog.setArchived(request.params.id, false));
    serve(app, routes.lookupProducts, async (request) => deps.catalog.lookup(request.body.ids));
  };
}
