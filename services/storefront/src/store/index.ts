import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { openStore, type Store, type StoreLocation } from '@bazaar/store';
import { migrations } from '../../migrations/index.ts';
import type { ImageBytes, ProductImage, ProductImageRepository, Session, SessionRepository } from '../domain/model.ts';

/** The storefront's tables as Kysely sees them (see migrations/0001_init.ts). */
export interface StorefrontDatabase {
  sessions: {
    id_hash: string;
    user_id: string;
    email: string;
    name: string;
    roles: string;
    access_token: string;
    refresh_token: string;
    access_expires_at: number | string;
    seen_prices: string;
    created_at: string;
    expires_at: number | string;
  };
  product_images: { product_id: string; digest: string; width: number; height: number; bytes: number; uploaded_by: string; uploaded_at: string };
  image_blobs: { key: string; data: Uint8Array };
}

export type StorefrontStore = Store<StorefrontDatabase>;

/** Open (and migrate) the storefront's database: PostgreSQL when configured, else `<dataDir>/storefront.sqlite`. */
export function openStorefrontStore(where: StoreLocation): Promise<StorefrontStore> {
  return openStore<StorefrontDatabase>({ service: 'storefront', migrations, ...where });
}

type SessionRow = StorefrontDatabase['sessions'];

function toSession(row: SessionRow): Session {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    email: row.email,
    name: row.name,
    roles: JSON.parse(row.roles) as string[],
    accessToken: row.access_token,
    refreshToken: row.refresh_token,
    // PostgreSQL hands bigint back as text.
    accessExpiresAt: Number(row.access_expires_at),
    seenPrices: JSON.parse(row.seen_prices) as Record<string, number>,
    createdAt: row.created_at,
    expiresAt: Number(row.expires_at),
  };
}

/** Sessions in the storefront's database. */
export function sessionRepository(db: Kysely<StorefrontDatabase>): SessionRepository {
  return {
    async create(s) {
      await db
        .insertInto('sessions')
        .values({
          id_hash: s.idHash,
          user_id: s.userId,
          email: s.email,
          name: s.name,
          roles: JSON.stringify(s.roles),
          access_token: s.accessToken,
          refresh_token: s.refreshToken,
          access_expires_at: s.accessExpiresAt,
          seen_prices: JSON.stringify(s.seenPrices),
          created_at: s.createdAt,
          expires_at: s.expiresAt,
        })
        .execute();
    },
    async find(idHash, now) {
      const row = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', now).executeTakeFirst();
      return row ? toSession(row) : undefined;
    },
    async updateTokens(idHash, t) {
      await db
        .updateTable('sessions')
        .set({ access_token: t.accessToken, refresh_token: t.refreshToken, access_expires_at: t.accessExpiresAt, expires_at: t.expiresAt })
        .where('id_hash', '=', idHash)
        .execute();
    },
    async updateSeenPrices(idHash, prices) {
      await db.updateTable('sessions').set({ seen_prices: JSON.stringify(prices) }).where('id_hash', '=', idHash).execute();
    },
    async delete(idHash) {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },
    async purgeExpired(now) {
      const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

type ImageRow = StorefrontDatabase['product_images'];
const toImage = (r: ImageRow): ProductImage => ({
  productId: r.product_id,
  digest: r.digest,
  width: Number(r.width),
  height: Number(r.height),
  bytes: Number(r.bytes),
  uploadedBy: r.uploaded_by,
  uploadedAt: r.uploaded_at,
});

/** Which product has which uploaded image. */
export function productImageRepository(db: Kysely<StorefrontDatabase>): ProductImageRepository {
  return {
    async find(productId) {
      const row = await db.selectFrom('product_images').selectAll().where('product_id', '=', productId).executeTakeFirst();
      return row ? toImage(row) : undefined;
    },
    async findMany(productIds) {
      if (productIds.length === 0) return new Map();
      const rows = await db.selectFrom('product_images').selectAll().where('product_id', 'in', productIds).execute();
      return new Map(rows.map((r) => [r.product_id, toImage(r)]));
    },
    async save(image) {
      const values = {
        product_id: image.productId,
        digest: image.digest,
        width: image.width,
        height: image.height,
        bytes: image.bytes,
        uploaded_by: image.uploadedBy,
        uploaded_at: image.uploadedAt,
      };
      await db
        .insertInto('product_images')
        .values(values)
        .onConflict((oc) => oc.column('product_id').doUpdateSet(values))
        .execute();
    },
  };
}

/** Image bytes as files under `<dir>/<key>`: the embedded default. Written to a temporary name, then renamed, so a reader never sees half a file. */
export function diskImageBytes(dir: string): ImageBytes {
  return {
    async put(key, data) {
      const path = join(dir, key);
      await mkdir(join(path, '..'), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, data);
      await rename(temp, path);
    },
    async get(key) {
      try {
        return await readFile(join(dir, key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}

/** Image bytes in the storefront's own database: used on PostgreSQL, where instances share no disk. */
export function databaseImageBytes(db: Kysely<StorefrontDatabase>): ImageBytes {
  return {
    async put(key, data) {
      await db
        .insertInto('image_blobs')
        .values({ key, data })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    },
    async get(key) {
      const row = await db.selectFrom('image_blobs').select('data').where('key', '=', key).executeTakeFirst();
      return row ? Buffer.from(row.data) : undefined;
    },
  };
}
