/**
 * Product images: admins upload JPEG, PNG or WebP; sharp (libvips) decodes
 * it, which proves it is a picture, strips metadata, fits it in a square of
 * IMAGE_MAX_PIXELS and re-encodes it as WebP. The digest of the result names
 * it, so its URL never changes meaning and is cached for a year.
 */
import { createHash } from 'node:crypto';
import type { default as Sharp } from 'sharp';
import type { ImageBytes, ProductImage, ProductImageRepository } from './domain/model.ts';
import { errors } from './errors.ts';

const ACCEPTED = new Set(['jpeg', 'png', 'webp']);

let sharpLoading: Promise<typeof Sharp> | undefined;
/**
 * sharp, with libvips, loaded at the first upload and kept: imported at start it cost every storefront ~17 MB of RSS
 * and ~0.1 s of CPU for what only an admin's upload uses (docs/performance.md, "December 7, sixth session").
 */
export function loadSharp(): Promise<typeof Sharp> {
  sharpLoading ??= import('sharp').then((m) => m.default);
  return sharpLoading;
}

export interface ProductImages {
  /** Decode, resize, re-encode and store an upload; answers the stored record. */
  upload(opts: { productId: string; data: Buffer; uploadedBy: string }): Promise<ProductImage>;
  /** The stored WebP bytes of a product's image with this digest. */
  read(productId: string, digest: string): Promise<Buffer | undefined>;
}

const keyOf = (productId: string, digest: string) => `products/${createHash('sha256').update(productId).digest('hex').slice(0, 32)}/${digest}.webp`;

export function productImages(deps: { repo: ProductImageRepository; bytes: ImageBytes; maxBytes: number; maxPixels: number }): ProductImages {
  return {
    async upload({ productId, data, uploadedBy }) {
      if (data.length > deps.maxBytes) throw errors.IMAGE_TOO_LARGE(`The file has ${data.length} bytes; the limit is ${deps.maxBytes}.`);
      const sharp = await loadSharp();
      let format: string | undefined;
      try {
        // limitInputPixels: a tiny file that claims a huge canvas (a decompression bomb) is refused before decoding.
        format = (await sharp(data, { limitInputPixels: 50_000_000 }).metadata()).format;
      } catch {
        throw errors.IMAGE_INVALID('The file could not be read as a picture.');
      }
      if (!format || !ACCEPTED.has(format)) throw errors.IMAGE_INVALID(`The file is ${format ?? 'not a picture'}; upload a JPEG, PNG or WebP file.`);
      const { data: out, info } = await sharp(data, { limitInputPixels: 50_000_000 })
        .rotate()
        .resize({ width: deps.maxPixels, height: deps.maxPixels, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 82 })
        .toBuffer({ resolveWithObject: true });
      const digest = createHash('sha256').update(out).digest('hex').slice(0, 20);
      await deps.bytes.put(keyOf(productId, digest), out);
      const image: ProductImage = { productId, digest, width: info.width, height: info.height, bytes: out.length, uploadedBy, uploadedAt: new Date().toISOString() };
      await deps.repo.save(image);
      return image;
    },
    read: (productId, digest) => (/^[0-9a-f]{20}$/.test(digest) ? deps.bytes.get(keyOf(productId, digest)) : Promise.resolve(undefined)),
  };
}
