/**
 * The storefront's own data and the ports its stores implement. The
 * storefront owns nothing authoritative: a session only holds the tokens
 * identity issued, and a product image is presentation.
 */

/** A signed-in browser session: the browser holds only a random id. */
export interface Session {
  idHash: string;
  userId: string;
  email: string;
  name: string;
  roles: string[];
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  accessExpiresAt: number;
  /** Unit prices (minor units) per product the shopper last saw on the cart page: the price-changed notice compares against them. */
  seenPrices: Record<string, number>;
  createdAt: string;
  /** Epoch ms after which the session is gone. */
  expiresAt: number;
}

export interface SessionRepository {
  create(session: Session): Promise<void>;
  find(idHash: string, now: number): Promise<Session | undefined>;
  updateTokens(idHash: string, tokens: { accessToken: string; refreshToken: string; accessExpiresAt: number; expiresAt: number }): Promise<void>;
  updateSeenPrices(idHash: string, prices: Record<string, number>): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Remove expired sessions; answers how many went. */
  purgeExpired(now: number): Promise<number>;
}

/** An uploaded product image: a digest names the bytes, so URLs can be cached forever. */
export interface ProductImage {
  productId: string;
  digest: string;
  width: number;
  height: number;
  bytes: number;
  uploadedBy: string;
  uploadedAt: string;
}

export interface ProductImageRepository {
  find(productId: string): Promise<ProductImage | undefined>;
  /** Every product that has an uploaded image, for list pages (one query, not one per card). */
  findMany(productIds: string[]): Promise<Map<string, ProductImage>>;
  save(image: ProductImage): Promise<void>;
}

/** Where image bytes live: files under the data directory, or the database (see ADR 0035). */
export interface ImageBytes {
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
}
