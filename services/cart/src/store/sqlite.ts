import { dialectOf, openStore, prepare, prepareCommand, sql, type Store, type StoreLocation } from '@bazaar/store';
import type { Generated, Kysely, Transaction } from 'kysely';
import type { InboxTables } from '@bazaar/messaging';
import { migrations } from '../../migrations/index.ts';
import type { CartLimits, CartLine, CartStore } from '../domain/model.ts';

/** The cart's tables as Kysely sees them (see migrations/). */
export interface CartTables extends InboxTables {
  cart_lines: {
    user_id: string;
    product_id: string;
    quantity: number;
    position: number;
    added_at: string;
    updated_at: string;
    /** The cart revision this line was last set at (0: before lines kept it). */
    set_revision: Generated<number>;
  };
  cart_revisions: { user_id: string; revision: number };
}

export type CartDatabase = Store<CartTables>;

/** Open (and migrate) the cart's own database: PostgreSQL when configured, else `<dataDir>/cart.sqlite` (or in memory for tests). */
export function openCartDatabase(where: StoreLocation): Promise<CartDatabase> {
  return openStore<CartTables>({ service: 'cart', migrations, ...where });
}

type Db = Kysely<CartTables>;

/**
 * The statements a cart read or change runs, built and compiled once per
 * database (prepare): a checkout runs about a dozen of them (putting the item
 * in, the reads, the order's removal), each some 30–50 µs of Kysely's CPU when
 * built per call. Kept per database object, so the app's store and the event
 * consumer's share them. Removing ordered lines reads them with an `in` list
 * of any length: that one is built per call.
 */
function preparedStatements(db: Db) {
  return {
    /** PostgreSQL: the per-user transaction-level advisory lock (see `atomically`); SQLite runs one write transaction at a time. */
    lock: dialectOf(db) === 'postgres' ? prepare(db, ['key'], (d, p) => d.selectNoFrom(sql<unknown>`pg_advisory_xact_lock(hashtextextended(${p.key}, 0))`.as('locked'))) : undefined,
    lines: prepare(db, ['userId'], (d, p) => d.selectFrom('cart_lines').select(['product_id', 'quantity']).where('user_id', '=', p.userId).orderBy('position')),
    revision: prepare(db, ['userId'], (d, p) => d.selectFrom('cart_revisions').select('revision').where('user_id', '=', p.userId)),
    bump: prepareCommand(db, ['userId'], (d, p) =>
      d
        .insertInto('cart_revisions')
        .values({ user_id: p.userId, revision: 1 })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ revision: sql<number>`cart_revisions.revision + 1` })),
    ),
    setLine: prepareCommand(db, ['userId', 'productId', 'quantity', 'now', 'setRevision'], (d, p) =>
      d.updateTable('cart_lines').set({ quantity: p.quantity, updated_at: p.now, set_revision: p.setRevision }).where('user_id', '=', p.userId).where('product_id', '=', p.productId),
    ),
    deleteLine: prepareCommand(db, ['userId', 'productId'], (d, p) => d.deleteFrom('cart_lines').where('user_id', '=', p.userId).where('product_id', '=', p.productId)),
    lineCount: prepare(db, ['userId'], (d, p) =>
      d.selectFrom('cart_lines').select((eb) => [eb.fn.countAll<number>().as('lines'), eb.fn.max<number | null>('position').as('last')]).where('user_id', '=', p.userId),
    ),
    insertLine: prepareCommand(db, ['userId', 'productId', 'quantity', 'position', 'now', 'setRevision'], (d, p) =>
      d.insertInto('cart_lines').values({ user_id: p.userId, product_id: p.productId, quantity: p.quantity, position: p.position, added_at: p.now, updated_at: p.now, set_revision: p.setRevision }),
    ),
  };
}

type Statements = ReturnType<typeof preparedStatements>;

const statementsByDb = new WeakMap<Db, Statements>();

function statementsOf(db: Db): Statements {
  let statements = statementsByDb.get(db);
  if (statements === undefined) statementsByDb.set(db, (statements = preparedStatements(db)));
  return statements;
}

/**
 * Run `fn` in a transaction on one user's cart, joining the caller's when `db`
 * already is one (event handlers run inside the inbox's). SQLite runs one
 * write transaction at a time; PostgreSQL runs them side by side, so there
 * a transaction-level advisory lock per user serialises changes to one cart
 * (count-then-insert and read-then-write stay atomic; other carts do not wait).
 */
async function atomically<T>(db: Db, s: Statements, userId: string, fn: (trx: Db) => Promise<T>): Promise<T> {
  const locked = async (trx: Db): Promise<T> => {
    if (s.lock) await s.lock({ key: `cart:${userId}` }, trx);
    return fn(trx);
  };
  if (db.isTransaction) return locked(db);
  return db.transaction().execute((trx: Transaction<CartTables>) => locked(trx));
}

/** The relational CartStore, plus the same store inside a caller's transaction. */
export interface SqlCartStore extends CartStore {
  /**
   * This store with its writes in `trx` (a transaction of the store's
   * database: an event's inbox transaction), so they commit with it; the
   * statements stay those compiled for the database.
   */
  within(trx: Db): CartStore;
}

/**
 * The relational implementation of CartStore, on SQLite or PostgreSQL (the
 * name predates PostgreSQL). Pass the database itself, not a transaction of
 * it (the statements are compiled once per object given): `within(trx)`
 * has the writes commit with something else (the inbox row of an event).
 */
export function sqliteCartStore(db: Db, limits: CartLimits): SqlCartStore {
  const s = statementsOf(db);

  /** The cart's revision (0 when it never changed). */
  async function revisionOf(trx: Db, userId: string): Promise<number> {
    const [row] = await s.revision({ userId }, trx);
    return row ? Number(row.revision) : 0;
  }

  /** Count one change of the cart (inside its transaction). */
  async function bump(trx: Db, userId: string): Promise<void> {
    await s.bump({ userId }, trx);
  }

  /** Delete a line, bumping the revision when there was one; true when a line went. */
  async function deleteLine(trx: Db, userId: string, productId: string): Promise<boolean> {
    if ((await s.deleteLine({ userId, productId }, trx)) === 0n) return false;
    await bump(trx, userId);
    return true;
  }

  async function readLines(trx: Db, userId: string): Promise<CartLine[]> {
    const rows = await s.lines({ userId }, trx);
    return rows.map((r) => ({ productId: r.product_id, quantity: Number(r.quantity) }));
  }

  /** The store's operations, run on `conn`: the database, or a transaction of it to join. */
  function on(conn: Db): CartStore {
    return {
      getLines: (userId) => readLines(conn, userId),

      async snapshot(userId) {
        return atomically(conn, s, userId, async (trx) => ({ lines: await readLines(trx, userId), revision: await revisionOf(trx, userId) }));
      },

      async setQuantity(userId, productId, quantity, expectedRevision) {
        const now = new Date().toISOString();
        return atomically(conn, s, userId, async (trx) => {
          const current = await revisionOf(trx, userId);
          if (expectedRevision !== undefined && current !== expectedRevision) return 'conflict' as const;
          // The revision this change makes (bump, below): the line remembers it, so a late order confirmation can tell it was set after checkout.
          const setRevision = current + 1;
          if (quantity === 0) {
            // A conditional removal of a line that is not there still moves the revision, as promised to the caller.
            if (!(await deleteLine(trx, userId, productId)) && expectedRevision !== undefined) await bump(trx, userId);
            return 'removed' as const;
          }
          if ((await s.setLine({ userId, productId, quantity, now, setRevision }, trx)) > 0n) {
            await bump(trx, userId);
            return 'set' as const;
          }
          const [count] = await s.lineCount({ userId }, trx);
          // An aggregate without GROUP BY always answers one row.
          if (count === undefined) throw new Error(`no line count for the cart of user ${userId}`);
          if (Number(count.lines) >= limits.maxLines) return 'cart-full' as const;
          await s.insertLine({ userId, productId, quantity, position: Number(count.last ?? 0) + 1, now, setRevision }, trx);
          await bump(trx, userId);
          return 'set' as const;
        });
      },

      remove: async (userId, productId) => {
        await atomically(conn, s, userId, (trx) => deleteLine(trx, userId, productId));
      },

      async removeOrdered(userId, ordered, placedAt) {
        const byProduct = totals(ordered);
        if (byProduct.size === 0) return;
        const now = new Date().toISOString();
        await atomically(conn, s, userId, async (trx) => {
          const found = await trx
            .selectFrom('cart_lines')
            .select(['product_id', 'quantity', 'set_revision'])
            .where('user_id', '=', userId)
            .where('product_id', 'in', [...byProduct.keys()])
            .execute();
          // A line set after the order's cart revision is the shopper's later decision: it stays (issue 12).
          const rows = found.filter((r) => placedAt === undefined || Number(r.set_revision) <= placedAt);
          if (rows.length === 0) return;
          const setRevision = (await revisionOf(trx, userId)) + 1;
          await bump(trx, userId);
          for (const row of rows) {
            const left = Number(row.quantity) - (byProduct.get(row.product_id) ?? 0);
            if (left > 0) {
              await s.setLine({ userId, productId: row.product_id, quantity: left, now, setRevision }, trx);
            } else {
              await s.deleteLine({ userId, productId: row.product_id }, trx);
            }
          }
        });
      },
    };
  }

  return { ...on(db), within: on };
}

/** Quantities summed per product (an order could list a product twice). */
function totals(lines: CartLine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) out.set(l.productId, (out.get(l.productId) ?? 0) + l.quantity);
  return out;
}
