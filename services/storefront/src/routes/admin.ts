/**
 * The back office, for the admin role: sales figures with charts and a CSV
 * export, products (list, search, create, edit, image upload) and stock.
 * Every call carries the admin's own token, so the services' admin checks
 * decide what really happens; the guard here only picks the page.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceApp } from '@bazaar/kit';
import type { CreateProductRequest, UpdateProductRequest } from '@bazaar/contracts/catalog';
import { barChart, csvField, hbar } from '../domain/chart.ts';
import type { ProductImageRepository } from '../domain/model.ts';
import { formatMoney, parseMinorUnits } from '../domain/money.ts';
import { errors } from '../errors.ts';
import type { ProductImages } from '../images.ts';
import type { Pages } from '../render.ts';
import { callerOf } from '../session.ts';
import { upstreamFailure, type Product, type SearchHit, type ShopApi } from '../upstream/shop.ts';
import { form, queryText, requireAdmin, seeOther } from './support.ts';

export interface AdminDeps {
  api: ShopApi;
  pages: Pages;
  images: ProductImages;
  imageRepo: ProductImageRepository;
  lowStock: number;
  currency: string;
}

type ProductField = 'sku' | 'name' | 'description' | 'category' | 'price' | 'image';
type ProductValues = Record<Exclude<ProductField, 'image'>, string>;

const EMPTY_PRODUCT: ProductValues = { sku: '', name: '', description: '', category: '', price: '' };

/** Reasons offered for a stock adjustment (the field takes free text too). */
const STOCK_REASONS = ['restock', 'count correction', 'damaged', 'returned by customer', 'lost'];

/** A stock adjustment form as typed, with the messages to show beside its fields. */
interface StockForm {
  productId?: string;
  values: { available: string; reason: string };
  errors: Partial<Record<'available' | 'reason', string>>;
}

/** Check an adjustment form: a whole number of units and a reason of 1 to 200 characters. */
function checkStock(body: Record<string, string>): { form: StockForm; available: number; reason: string } {
  const values = { available: (body.available ?? '').trim(), reason: (body.reason ?? '').trim() };
  const errs: StockForm['errors'] = {};
  const available = Number(values.available);
  if (values.available === '' || !Number.isInteger(available) || available < 0 || available > 1_000_000) errs.available = 'Enter a whole number of units from 0 to 1,000,000.';
  if (values.reason === '') errs.reason = 'Say why the stock changes, e.g. restock or damaged.';
  else if (values.reason.length > 200) errs.reason = 'Keep the reason under 200 characters.';
  return { form: { values, errors: errs }, available, reason: values.reason };
}

/** A multipart body attached as key/values: text fields are strings, the file a Buffer. */
function fields(request: FastifyRequest): Record<string, string | Buffer> {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return {};
  const out: Record<string, string | Buffer> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' || Buffer.isBuffer(v)) out[k] = v;
  }
  return out;
}
const text = (v: string | Buffer | undefined): string => (typeof v === 'string' ? v.trim() : '');

/** The edit form's values for a product as the catalog has it. */
const productValues = (product: Product): ProductValues => ({ sku: product.sku, name: product.name, description: product.description, category: product.category, price: (product.price.amount / 100).toFixed(2) });

export function adminRoutes(deps: AdminDeps) {
  const { api, pages } = deps;

  const page = <T extends object>(request: FastifyRequest, reply: FastifyReply, view: string, data: T & { title: string; status?: number }) =>
    pages.render(request, reply, view, { ...data, section: 'admin' as const });

  async function productForm(request: FastifyRequest, reply: FastifyReply, opts: { product?: Product; values: ProductValues; errors: Partial<Record<ProductField, string>>; status?: number; formError?: string; stock?: StockForm }) {
    const [image, stock] = opts.product ? await Promise.all([deps.imageRepo.find(opts.product.id), api.stock(opts.product.id).catch(() => undefined)]) : [undefined, undefined];
    const adjustmentsCursor = queryText(request, 'adjustments') || undefined;
    const adjustments = opts.product
      ? await api.stockAdjustments(callerOf(request), opts.product.id, { limit: 10, ...(adjustmentsCursor ? { cursor: adjustmentsCursor } : {}) }).catch(() => undefined)
      : undefined;
    return page(request, reply, 'admin/product-form', {
      adjustments,
      adjustmentsCursor,
      stockForm: opts.stock ?? { values: { available: stock?.available === undefined ? '' : String(stock.available), reason: '' }, errors: {} },
      reasons: STOCK_REASONS,
      title: opts.product ? `Edit ${opts.product.name}` : 'New product',
      status: opts.status ?? 200,
      product: opts.product,
      image,
      available: stock?.available,
      values: opts.values,
      errors: opts.errors,
      formError: opts.formError,
      categories: await pages.categories(),
    });
  }

  /** Check the form; answers the catalog request fields or the errors to show beside the fields. */
  function checkProduct(values: ProductValues, categories: string[]) {
    const errs: Partial<Record<ProductField, string>> = {};
    if (!/^[A-Z0-9][A-Z0-9-]{2,39}$/.test(values.sku)) errs.sku = 'Use 3 to 40 capital letters, digits and dashes, e.g. AUD-9001.';
    if (!values.name || values.name.length > 200) errs.name = 'Give the product a name (up to 200 characters).';
    if (values.description.length > 5000) errs.description = 'Keep the description under 5000 characters.';
    if (!categories.includes(values.category)) errs.category = 'Choose a category.';
    const amount = parseMinorUnits(values.price);
    if (amount === undefined || amount <= 0) errs.price = 'Enter a price such as 19.99.';
    return { errs, amount: amount ?? 0 };
  }

  async function saveImage(request: FastifyRequest, productId: string, file: string | Buffer | undefined): Promise<string | undefined> {
    if (!Buffer.isBuffer(file) || file.length === 0) return undefined;
    try {
      await deps.images.upload({ productId, data: file, uploadedBy: request.session?.email ?? 'admin' });
      return undefined;
    } catch (error) {
      if (error instanceof Error && 'code' in error && (error.code === 'IMAGE_INVALID' || error.code === 'IMAGE_TOO_LARGE')) return error.message;
      throw error;
    }
  }

  return async (app: ServiceApp) => {
    app.addHook('preHandler', requireAdmin);

    app.get('/admin', async (request, reply) => {
      const report = await api.sales(callerOf(request), { top: 10 });
      const days = report.byDay.slice(-30);
      return page(request, reply, 'admin/sales', {
        title: 'Sales',
        report,
        days,
        chart: barChart(days.map((d) => ({ label: d.day.slice(5), value: d.revenue.amount, text: formatMoney(d.revenue) }))),
        reasons: report.cancelled.byReason.map((r) => ({ ...r, bar: hbar(r.count, Math.max(...report.cancelled.byReason.map((x) => x.count))) })),
      });
    });

    app.get('/admin/sales.csv', async (request, reply) => {
      const report = await api.sales(callerOf(request), { top: 100 });
      const lines = [['day', 'orders', 'revenue_minor_units', 'currency'].join(',')];
      for (const d of report.byDay) lines.push([d.day, d.orders, d.revenue.amount, d.revenue.currency].map(csvField).join(','));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="bazaar-sales-by-day.csv"')
        .header('cache-control', 'private, no-store')
        .send(`${lines.join('\r\n')}\r\n`);
    });

    app.get('/admin/products', async (request, reply) => {
      const q = queryText(request, 'q').trim();
      const cursor = queryText(request, 'cursor') || undefined;
      const result = await api.search({ ...(q ? { q } : {}), limit: 25, ...(cursor ? { cursor } : {}) });
      return page(request, reply, 'admin/products', { title: 'Products', q, result, cursor, low: deps.lowStock });
    });

    app.get('/admin/products/archived', async (request, reply) => {
      const cursor = queryText(request, 'cursor') || undefined;
      const result = await api.archivedProducts({ limit: 25, ...(cursor ? { cursor } : {}) }).catch((error: unknown) => {
        if (upstreamFailure(error)?.status === 400) throw errors.PAGE_NOT_FOUND('This page link is not valid any more.');
        throw error;
      });
      return page(request, reply, 'admin/archived', { title: 'Archived products', result, cursor });
    });

    app.get('/admin/products/new', async (request, reply) => productForm(request, reply, { values: EMPTY_PRODUCT, errors: {} }));

    app.post('/admin/products', async (request, reply) => {
      const body = fields(request);
      const values: ProductValues = { sku: text(body.sku).toUpperCase(), name: text(body.name), description: text(body.description), category: text(body.category), price: text(body.price) };
      const { errs, amount } = checkProduct(values, (await pages.categories()).map((c) => c.slug));
      if (Object.keys(errs).length > 0) return productForm(request, reply, { values, errors: errs, status: 422 });
      const create: CreateProductRequest = { sku: values.sku, name: values.name, description: values.description, category: values.category, price: { amount, currency: deps.currency } };
      let product: Product;
      try {
        product = await api.createProduct(callerOf(request), create);
      } catch (error) {
        const failure = upstreamFailure(error);
        if (failure?.status === 409) return productForm(request, reply, { values, errors: { sku: 'Another product has this SKU already.' }, status: 409 });
        if (failure?.status === 400) return productForm(request, reply, { values, errors: {}, formError: failure.detail ?? 'The catalog refused this product.', status: 422 });
        throw error;
      }
      const imageError = await saveImage(request, product.id, body.image);
      if (imageError) return productForm(request, reply, { product, values, errors: { image: imageError }, status: 422, formError: 'The product was created, but its image was not saved.' });
      return seeOther(reply, `/admin/products/${encodeURIComponent(product.id)}?notice=product-created`);
    });

    app.get('/admin/products/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const product = await api.product(id).catch((error: unknown) => {
        if (upstreamFailure(error)?.status === 404) throw errors.PRODUCT_NOT_FOUND();
        throw error;
      });
      return productForm(request, reply, { product, values: productValues(product), errors: {} });
    });

    app.post('/admin/products/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const product = await api.product(id).catch((error: unknown) => {
        if (upstreamFailure(error)?.status === 404) throw errors.PRODUCT_NOT_FOUND();
        throw error;
      });
      const body = fields(request);
      const values: ProductValues = { sku: text(body.sku).toUpperCase(), name: text(body.name), description: text(body.description), category: text(body.category), price: text(body.price) };
      const { errs, amount } = checkProduct(values, (await pages.categories()).map((c) => c.slug));
      if (Object.keys(errs).length > 0) return productForm(request, reply, { product, values, errors: errs, status: 422 });
      const change: UpdateProductRequest = {};
      if (values.sku !== product.sku) change.sku = values.sku;
      if (values.name !== product.name) change.name = values.name;
      if (values.description !== product.description) change.description = values.description;
      if (values.category !== product.category) change.category = values.category;
      if (amount !== product.price.amount) change.price = { amount, currency: product.price.currency };
      let saved = product;
      if (Object.keys(change).length > 0) {
        try {
          saved = await api.updateProduct(callerOf(request), id, change);
        } catch (error) {
          const failure = upstreamFailure(error);
          if (failure?.status === 409) return productForm(request, reply, { product, values, errors: { sku: 'Another product has this SKU already.' }, status: 409 });
          throw error;
        }
      }
      const imageError = await saveImage(request, saved.id, body.image);
      if (imageError) return productForm(request, reply, { product: saved, values, errors: { image: imageError }, status: 422 });
      return seeOther(reply, `/admin/products/${encodeURIComponent(id)}?notice=product-saved`);
    });

    async function stockPage(request: FastifyRequest, reply: FastifyReply, stockForm?: StockForm) {
      // The low-stock list scans the search read model (it carries every product's availability); at most 10 pages of 100.
      const low: SearchHit[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await api.search({ limit: 100, ...(cursor ? { cursor } : {}) });
        low.push(...page.items.filter((p) => p.available <= deps.lowStock));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      low.sort((a, b) => a.available - b.available || a.name.localeCompare(b.name));
      return page(request, reply, 'admin/stock', { title: 'Stock', low, threshold: deps.lowStock, reasons: STOCK_REASONS, stockForm, status: stockForm ? 422 : 200 });
    }

    app.get('/admin/stock', async (request, reply) => stockPage(request, reply));

    app.post('/admin/stock/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      const body = form(request);
      const fromProduct = body.back === `/admin/products/${id}`;
      const checked = checkStock(body);
      if (Object.keys(checked.form.errors).length > 0) {
        if (!fromProduct) return stockPage(request, reply, { ...checked.form, productId: id });
        const product = await api.product(id);
        return productForm(request, reply, { product, values: productValues(product), errors: {}, stock: checked.form, status: 422 });
      }
      await api.adjustStock(callerOf(request), id, { available: checked.available, reason: checked.reason });
      return seeOther(reply, `${fromProduct ? `/admin/products/${encodeURIComponent(id)}` : '/admin/stock'}?notice=stock-saved`);
    });

    for (const [action, archived] of [['archive', true], ['unarchive', false]] as const) {
      app.post(`/admin/products/:id/${action}`, async (request, reply) => {
        const { id } = request.params as { id: string };
        await api.setArchived(callerOf(request), id, archived).catch((error: unknown) => {
          if (upstreamFailure(error)?.status === 404) throw errors.PRODUCT_NOT_FOUND();
          throw error;
        });
        return seeOther(reply, `/admin/products/${encodeURIComponent(id)}?notice=product-${action}d`);
      });
    }
  };
}
