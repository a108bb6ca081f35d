/**
 * Cursors are opaque to clients: base64url of the last product id seen.
 * Paging by id (a unique, immutable key) means a product created between two
 * pages never shifts the pages, so every product is seen exactly once.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`p:${lastId}`, 'utf8').toString('base64url');
}

/** The last id a cursor stands for, or undefined if it is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return text.startsWith('p:') && text.length > 2 ? text.slice(2) : undefined;
}
