/**
 * Identity's records and the storage they need, in plain types: the domain
 * depends on these interfaces, src/store implements them.
 */

export interface User {
  id: string;
  /** Trimmed and lowercased. */
  email: string;
  name: string;
  roles: string[];
  /** PHC string (argon2id). */
  passwordHash: string;
  createdAt: string;
}

export interface NewUser {
  id: string;
  email: string;
  name: string;
  roles: string[];
  passwordHash: string;
  createdAt: string;
}

/** Where a page of accounts ends: the last account's creation time and id (unique, immutable). */
export interface UserPosition {
  createdAt: string;
  id: string;
}

/** An account without its password hash: what listing accounts may return. */
export type UserSummary = Omit<User, 'passwordHash'>;

export interface UserRepository {
  /** Accounts newest first after `after`, whose email or name contains `q` (case-insensitive); `more` when others follow. */
  page(opts: { q?: string; limit: number; after?: UserPosition }): Promise<{ items: UserSummary[]; more: boolean }>;
  findByEmail(email: string): Promise<User | undefined>;
  findById(id: string): Promise<User | undefined>;
  /** Insert the user and its roles atomically; 'email-taken' when the email already exists. */
  create(user: NewUser): Promise<'created' | 'email-taken'>;
}

export interface RefreshTokenRecord {
  id: string;
  tokenHash: string;
  userId: string;
  familyId: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
}

export type NewRefreshToken = Omit<RefreshTokenRecord, 'usedAt' | 'revokedAt'>;

export interface RefreshTokenRepository {
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  insert(token: NewRefreshToken): Promise<void>;
  /**
   * Mark `fromId` used and insert its successor, atomically and only if
   * `fromId` is still unused and unrevoked ('stale' otherwise: someone else
   * presented it first).
   */
  rotate(opts: { fromId: string; next: NewRefreshToken; at: string }): Promise<'rotated' | 'stale'>;
  /** Revoke every live token of a family; returns how many were revoked. */
  revokeFamily(familyId: string, at: string): Promise<number>;
  /** When the family's first token was issued (the login), if the family exists. */
  familyStartedAt(familyId: string): Promise<string | undefined>;
  /** Families revoked at or after `since`. */
  revokedSince(since: string): Promise<string[]>;
}

export interface SigningKeyRecord {
  kid: string;
  algorithm: string;
  /** JWK JSON objects. */
  publicJwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
  createdAt: string;
}

export interface SigningKeyRepository {
  /** Keys not retired, oldest first. */
  listActive(): Promise<SigningKeyRecord[]>;
  insert(key: SigningKeyRecord): Promise<void>;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;
