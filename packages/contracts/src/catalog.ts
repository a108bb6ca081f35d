import { Type, type Static } from 'typebox';
import { Money, PositiveMoney } from './common.ts';
import { access, defineRoute } from './route.ts';

/** Contract of the catalog service (routes under /api/catalog). */

export const CategorySlug = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 64 });

export const Product = Type.Object({
  id: Type.String(),
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  category: CategorySlug,
  price: Money,
  /** Archived products are out of listings, categories, search and new carts, but still answer by id (past orders show them). */
  archived: Type.Optional(Type.Boolean({ description: 'True when an admin archived the product; always sent by the catalog' })),
});
export type Product = Static<typeof Product>;

export const ProductPage = Type.Object({
  items: Type.Array(Product),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type ProductPage = Static<typeof ProductPage>;

export const ListProductsQuery = Type.Object(
  {
    category: Type.Optional(CategorySlug),
    archived: Type.Optional(Type.Boolean({ description: 'true: only archived products (the back office finds them to unarchive); default: only products on sale' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type ListProductsQuery = Static<typeof ListProductsQuery>;

export const Category = Type.Object({
  slug: CategorySlug,
  name: Type.String(),
  productCount: Type.Integer({ minimum: 0 }),
});
export type Category = Static<typeof Category>;

export const CategoryList = Type.Object({ items: Type.Array(Category) });
export type CategoryList = Static<typeof CategoryList>;

export const Sku = Type.String({ pattern: '^[A-Z0-9][A-Z0-9-]{2,39}$' });

export const CreateProductRequest = Type.Object(
  {
    sku: Sku,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ maxLength: 5000, default: '' }),
    category: CategorySlug,
    price: { ...PositiveMoney, description: 'At least one minor unit, at most MAX_MONEY_AMOUNT' },
  },
  { additionalProperties: false },
);
export type CreateProductRequest = Static<typeof CreateProductRequest>;

export const UpdateProductRequest = Type.Object(
  {
    sku: Type.Optional(Sku),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
    category: Type.Optional(CategorySlug),
    price: Type.Optional(PositiveMoney),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProductRequest = Static<typeof UpdateProductRequest>;

export const ProductParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** POST /internal/catalog/products/lookup: many products by id in one call (the cart prices a whole cart with it). */
export const LookupProductsRequest = Type.Object(
  { ids: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100, uniqueItems: true }) },
  { additionalProperties: false },
);
export type LookupProductsRequest = Static<typeof LookupProductsRequest>;

/** The products found, in the order asked; ids the catalog does not have are simply absent. */
export const LookupProductsResponse = Type.Object({ items: Type.Array(Product) });
export type LookupProductsResponse = Static<typeof LookupProductsResponse>;

/** The catalog's routes. */
export const routes = {
  listProducts: defineRoute({
    service: 'catalog', method: 'GET', path: '/api/catalog/products', access: access.public,
    summary: 'List products, one page at a time', tags: ['products'],
    query: ListProductsQuery, responses: { 200: ProductPage }, errors: [400],
  }),
  getProduct: defineRoute({
    service: 'catalog', method: 'GET', path: '/api/catalog/products/:id', access: access.public,
    summary: 'One product', tags: ['products'],
    params: ProductParams, responses: { 200: Product }, errors: [400, 404],
  }),
  createProduct: defineRoute({
    service: 'catalog', method: 'POST', path: '/api/catalog/products', access: access.admin,
    summary: 'Create a product (admin)', tags: ['products'],
    body: CreateProductRequest, responses: { 201: Product }, errors: [400, 401, 403, 409],
  }),
  updateProduct: defineRoute({
    service: 'catalog', method: 'PATCH', path: '/api/catalog/products/:id', access: access.admin,
    summary: 'Change some fields of a product (admin)', tags: ['products'],
    params: ProductParams, body: UpdateProductRequest, responses: { 200: Product }, errors: [400, 401, 403, 404, 409],
  }),
  archiveProduct: defineRoute({
    service: 'catalog', method: 'POST', path: '/api/catalog/products/:id/archive', access: access.admin,
    summary: 'Archive a product (admin, idempotent): hidden from listings, categories, search and new carts; still readable by id', tags: ['products'],
    params: ProductParams, responses: { 200: Product }, errors: [400, 401, 403, 404], idempotent: true,
  }),
  unarchiveProduct: defineRoute({
    service: 'catalog', method: 'POST', path: '/api/catalog/products/:id/unarchive', access: access.admin,
    summary: 'Put an archived product back on sale (admin, idempotent)', tags: ['products'],
    params: ProductParams, responses: { 200: Product }, errors: [400, 401, 403, 404], idempotent: true,
  }),
  lookupProducts: defineRoute({
    service: 'catalog', method: 'POST', path: '/internal/catalog/products/lookup', access: access.service('cart'),
    summary: 'Many products by id in one call (internal: the cart prices a whole cart with one lookup)', tags: ['internal'],
    body: LookupProductsRequest, responses: { 200: LookupProductsResponse }, errors: [400, 401, 403],
    // A read, although a POST (the id list is a body): safe to retry.
    idempotent: true,
  }),
  listCategories: defineRoute({
    service: 'catalog', method: 'GET', path: '/api/catalog/categories', access: access.public,
    summary: 'All categories, by name, with product counts', tags: ['categories'],
    responses: { 200: CategoryList }, errors: [],
  }),
};
