import { randomUUID } from 'node:crypto';
import type { Compilable, Kysely, QueryResult, SqliteStatement } from 'kysely';
import { directRunnerOf } from './direct.ts';

/** What a prepared statement's parameter may be given (what both drivers bind). */
export type PreparedValue = string | number | bigint | boolean | null | Uint8Array | Date;

/** A statement compiled once: run it with this run's values, on the database it was prepared on or a transaction of it. */
export type Prepared<DB, P extends string, O> = (values: { readonly [K in P]: PreparedValue }, executor?: Kysely<DB>) => Promise<O[]>;

/**
 * A query built and compiled once, then run with new values each time.
 *
 * Kysely builds a tree of frozen nodes and compiles it to SQL on every call;
 * for a statement that differs only in its values that is wasted work: for
 * the catalog's product read, 2 of the 9 µs its database access costs
 * (docs/performance.md, "December 7, third session"). SQLite's own prepared
 * statement is already kept by its text (sqlite.ts); this keeps Kysely's half.
 *
 * `build` gets one marker per parameter name and must use each where a value
 * goes (`where('id', '=', p.id)`, `limit(p.limit)`, an inserted value). The
 * markers are typed `never` so they fit any column; at run time they are
 * unique strings, found again among the compiled statement's parameters. A
 * marker that did not become a bound parameter (used as an identifier, or
 * in raw SQL text) is refused here, when the statement is prepared, not
 * when it runs. The compiled statement is the dialect's own (`?` or `$1`),
 * and it runs through `executeQuery` — or, on SQLite, on the connection at
 * once when no transaction holds it (direct.ts, ADR 0097) — so the store's
 * query log (tracing) sees it as any other. The store configures no Kysely plugins; one that
 * rewrote values or kept state per query id would need this to build anew.
 */
export function prepare<DB, O, P extends string>(db: Kysely<DB>, names: readonly P[], build: (db: Kysely<DB>, params: { readonly [K in P]: never }) => Compilable<O>): Prepared<DB, P, O> {
  const run = compileOnce(db, names, build);
  return async (values, executor) => (await run(values, executor)).rows;
}

/** A write compiled once (UPDATE, DELETE, INSERT without RETURNING): run it with this run's values; resolves to the rows it changed. */
export type PreparedCommand<DB, P extends string> = (values: { readonly [K in P]: PreparedValue }, executor?: Kysely<DB>) => Promise<bigint>;

/**
 * `prepare` for a write whose outcome is how many rows it changed (what Kysely's `executeTakeFirst()` gives as
 * `numUpdatedRows`/`numDeletedRows`): a fenced update that matched nothing resolves to 0n.
 */
export function prepareCommand<DB, P extends string>(db: Kysely<DB>, names: readonly P[], build: (db: Kysely<DB>, params: { readonly [K in P]: never }) => Compilable<unknown>): PreparedCommand<DB, P> {
  const run = compileOnce(db, names, build);
  return async (values, executor) => (await run(values, executor)).numAffectedRows ?? 0n;
}

function compileOnce<DB, O, P extends string>(
  db: Kysely<DB>,
  names: readonly P[],
  build: (db: Kysely<DB>, params: { readonly [K in P]: never }) => Compilable<O>,
): (values: { readonly [K in P]: PreparedValue }, executor?: Kysely<DB>) => Promise<QueryResult<O>> {
  const token = `\u0000prepared:${randomUUID()}:`;
  const markers = Object.fromEntries(names.map((name) => [name, `${token}${name}`]));
  const compiled = build(db, markers as { readonly [K in P]: never }).compile();
  if (compiled.sql.includes(token)) throw new Error(`prepare: a parameter was written into the SQL text instead of bound as a value: ${compiled.sql.replaceAll(token, ':')}`);
  // For each compiled parameter, the name it stands for, or undefined: a constant of the statement.
  const slots = compiled.parameters.map((value) => (typeof value === 'string' && value.startsWith(token) ? (value.slice(token.length) as P) : undefined));
  for (const name of names) {
    if (!slots.includes(name)) throw new Error(`prepare: the parameter "${name}" is not a value of the statement ${compiled.sql}`);
  }
  const constants = compiled.parameters;
  // On SQLite, run on the connection at once when no transaction holds it (direct.ts); the statement is kept here.
  const direct = directRunnerOf(db);
  let statement: SqliteStatement | undefined;
  return (values, executor) => {
    const parameters = slots.map((name, i) => (name === undefined ? constants[i] : values[name]));
    const query = { ...compiled, parameters };
    if (direct && (executor === undefined || executor === db)) {
      statement ??= direct.statement(compiled.sql);
      const result = direct.run<O>(query, statement);
      if (result !== undefined) return Promise.resolve(result);
    }
    return (executor ?? db).executeQuery<O>(query);
  };
}
