import { sql, type Kysely } from 'kysely';

/**
 * The saga sweep (every ORDERS_SWEEP_MS) and the lease heartbeat (a third of
 * SAGA_LEASE_MS) ask for open sagas only, and every order ever placed keeps
 * its saga, DONE. `sagas_due` (step, next_attempt_at) could not serve the
 * sweep's `step <> 'DONE'` and nothing served the heartbeat's `owner = ?`:
 * both read the whole table, 19 ms of CPU a pass with 200,000 past orders,
 * growing with every order. Two partial indexes hold the open sagas alone, so
 * a pass costs what the open sagas cost, however long the history:
 * the sweep's by due time (its ORDER BY too), the heartbeat's and the
 * release's by owner (a DONE saga has none). The sweep's query names 'DONE' as
 * a literal, which is what lets SQLite match it to the index's condition.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('sagas_due').execute();
  await db.schema.createIndex('sagas_open_due').on('sagas').column('next_attempt_at').where(sql.ref('step'), '<>', sql.lit('DONE')).execute();
  await db.schema.createIndex('sagas_owned').on('sagas').column('owner').where(sql.ref('owner'), 'is not', null).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('sagas_owned').execute();
  await db.schema.dropIndex('sagas_open_due').execute();
  await db.schema.createIndex('sagas_due').on('sagas').columns(['step', 'next_attempt_at']).execute();
}
