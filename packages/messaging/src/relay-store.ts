import { sql, type Kysely } from 'kysely';
import type { Migration } from '@bazaar/store';
import type { AnyCloudEvent } from './types.ts';
import { rowToEvent, type OutboxTables } from './outbox.ts';

/** The outbox with the relay's bookkeeping (added by outboxRelayMigration). */
interface RelayTables {
  outbox: Omit<OutboxTables['outbox'], 'seq'> & {
    seq: number;
    /** When JetStream stored it (ISO-8601); null while it waits. */
    published_at: string | null;
    /** The relay instance publishing it, until `claimed_until`. */
    claimed_by: string | null;
    claimed_until: string | null;
  };
}

/**
 * Add to a producer's migrations after its outbox migration (e.g. as
 * '0004_outbox_relay'): what the JetStream relay needs to know what it has
 * published. Existing rows start unpublished, so a service moving to NATS
 * publishes its whole history once (consumers' inboxes drop what they had).
 */
export const outboxRelayMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    for (const column of ['published_at', 'claimed_by', 'claimed_until']) {
      await db.schema.alterTable('outbox').addColumn(column, 'text').execute();
    }
    // The relay looks only at what is unpublished; a partial index keeps that cheap as the outbox grows.
    await sql`create index outbox_unpublished on outbox (seq) where published_at is null`.execute(db);
  },
};

/** What the relay needs of a producer's store (a @bazaar/store Store fits). */
export interface RelayStore<DB extends OutboxTables> {
  db: Kysely<DB>;
  dialect: 'sqlite' | 'postgres';
}

interface ClaimRow {
  seq: number | string;
  claimed_by: string | null;
  claimed_until: string | null;
}

/**
 * The relay's queries on one outbox, for one relay instance (`me`). Rows are
 * claimed with a lease, in seq order, and only from the head: while another
 * live relay holds the oldest unpublished row, this one claims nothing, so
 * two relays never publish out of order. A crashed relay's lease runs out
 * and another takes over; re-publishing is harmless (Nats-Msg-Id).
 */
export function relayQueries<DB extends OutboxTables>(store: RelayStore<DB>, me: string) {
  const db = store.db as unknown as Kysely<RelayTables>;

  /** SQLite: one statement, and SQLite runs one writer at a time, so the check and the claim are atomic. */
  async function claimSqlite(batch: number, now: string, until: string): Promise<void> {
    await sql`
      update outbox set claimed_by = ${me}, claimed_until = ${until}
      where published_at is null
        and seq in (select seq from outbox where published_at is null order by seq limit ${batch})
        and not exists (
          select 1 from outbox
          where published_at is null and claimed_by is not null and claimed_by <> ${me} and claimed_until > ${now})`.execute(db);
  }

  /**
   * PostgreSQL: lock the oldest unpublished rows, skipping rows another
   * relay is claiming right now, and keep only the run that starts at the
   * true head (a plain read, which locks do not hide) and is not under
   * another relay's live lease. Skipped rows would otherwise let a second
   * relay publish later events first.
   */
  async function claimPostgres(batch: number, now: string, until: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const locked = await sql<ClaimRow>`
        select seq, claimed_by, claimed_until from outbox
        where published_at is null order by seq limit ${batch} for update skip locked`.execute(trx);
      if (locked.rows.length === 0) return;
      const head = await sql<{ seq: number | string }>`
        select seq from outbox where published_at is null order by seq limit ${batch}`.execute(trx);
      const mine: number[] = [];
      for (const [i, row] of locked.rows.entries()) {
        if (Number(row.seq) !== Number(head.rows[i]?.seq)) break;
        if (row.claimed_by !== null && row.claimed_by !== me && (row.claimed_until ?? '') > now) break;
        mine.push(Number(row.seq));
      }
      if (mine.length === 0) return;
      await trx.updateTable('outbox').set({ claimed_by: me, claimed_until: until }).where('seq', 'in', mine).execute();
    });
  }

  return {
    /** Whether anything waits to be published (cheap: the partial index). */
    async hasPending(): Promise<boolean> {
      const row = await db.selectFrom('outbox').select('seq').where('published_at', 'is', null).limit(1).executeTakeFirst();
      return row !== undefined;
    },

    /** Claim up to `batch` rows from the head and return this relay's claimed rows as CloudEvents, oldest first. */
    async claim(batch: number, leaseMs: number): Promise<AnyCloudEvent[]> {
      const now = new Date();
      const nowIso = now.toISOString();
      const until = new Date(now.getTime() + leaseMs).toISOString();
      switch (store.dialect) {
        case 'sqlite':
          await claimSqlite(batch, nowIso, until);
          break;
        case 'postgres':
          await claimPostgres(batch, nowIso, until);
          break;
        default: {
          const never: never = store.dialect;
          throw new Error(`outbox relay: unknown dialect ${String(never)}`);
        }
      }
      const rows = await db
        .selectFrom('outbox')
        .selectAll()
        .where('published_at', 'is', null)
        .where('claimed_by', '=', me)
        .where('claimed_until', '>', nowIso)
        .orderBy('seq')
        .limit(batch)
        .execute();
      // The same envelope readOutbox gives the embedded feed.
      return rows.map(rowToEvent);
    },

    /** Record rows as stored by JetStream. */
    async markPublished(seqs: number[]): Promise<void> {
      if (seqs.length === 0) return;
      await db
        .updateTable('outbox')
        .set({ published_at: new Date().toISOString(), claimed_by: null, claimed_until: null })
        .where('seq', 'in', seqs)
        .execute();
    },

    /** Give up this relay's claims (on stop), so another instance can go on at once. */
    async release(): Promise<void> {
      await db.updateTable('outbox').set({ claimed_by: null, claimed_until: null }).where('claimed_by', '=', me).where('published_at', 'is', null).execute();
    },
  };
}

export type RelayQueries = ReturnType<typeof relayQueries>;
