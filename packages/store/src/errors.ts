/**
 * True when a write failed on a unique or primary-key constraint, on either
 * dialect: node:sqlite's extended result codes (2067 SQLITE_CONSTRAINT_UNIQUE,
 * 1555 SQLITE_CONSTRAINT_PRIMARYKEY) or PostgreSQL's SQLSTATE 23505.
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { errcode?: unknown; code?: unknown } | null | undefined;
  return e?.errcode === 2067 || e?.errcode === 1555 || e?.code === '23505';
}
