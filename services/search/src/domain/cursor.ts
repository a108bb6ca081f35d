/**
 * Cursors are opaque to clients: base64url of "o:<offset>". Search results
 * are ranked, not keyed, so an offset is what a page position is; a product
 * indexed between two requests can shift a page by one, as in any ranked list.
 */
export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`, 'utf8').toString('base64url');
}

/** The offset a cursor stands for, or undefined if it is not one of ours. */
export function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const match = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}
