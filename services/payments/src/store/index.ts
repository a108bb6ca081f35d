import { openStore, prepare, sql, type Store, type StoreLocation } from '@bazaar/store';
import type { Kysely } from 'kysely';
import { appendEvent, type OutboxTables } from '@bazaar/messaging';
import type { PaymentStatus } from '@bazaar/contracts/payments';
import { migrations } from '../../migrations/index.ts';
import type { PaymentEvent, PaymentRecord, PaymentRepository } from '../domain/model.ts';

interface Tables extends OutboxTables {
  payments: {
    payment_id: string;
    order_id: string;
    amount: number;
    currency: string;
    status: PaymentStatus;
    psp_authorization_id: string | null;
    card_last4: string;
    decline_code: string | null;
    created_at: string;
    updated_at: string;
  };
}

export type PaymentsStore = Store<Tables>;

/** Open (and migrate) payments' own database. */
export function openPaymentsStore(where: StoreLocation): Promise<PaymentsStore> {
  return openStore<Tables>({ service: 'payments', migrations, ...where });
}

type Row = Tables['payments'];

function toRecord(row: Row): PaymentRecord {
  return {
    paymentId: row.payment_id,
    orderId: row.order_id,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    pspAuthorizationId: row.psp_authorization_id,
    cardLast4: row.card_last4,
    declineCode: row.decline_code,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** All payments queries. Nothing outside this folder sees SQL or rows. */
export function paymentRepository(db: Kysely<Tables>): PaymentRepository {
  // A checkout's reads and writes of its payment (authorize, then capture), compiled once (prepare): Kysely would
  // build and compile each on every call. The reconciler's sweep is rare and stays built per call.
  const byOrderId = prepare(db, ['orderId'], (d, p) => d.selectFrom('payments').selectAll().where('order_id', '=', p.orderId));
  const insert = prepare(db, ['paymentId', 'orderId', 'amount', 'currency', 'status', 'pspAuthorizationId', 'cardLast4', 'declineCode', 'createdAt', 'updatedAt'], (d, p) =>
    d
      .insertInto('payments')
      .values({
        payment_id: p.paymentId,
        order_id: p.orderId,
        amount: p.amount,
        currency: p.currency,
        status: p.status,
        psp_authorization_id: p.pspAuthorizationId,
        card_last4: p.cardLast4,
        decline_code: p.declineCode,
        created_at: p.createdAt,
        updated_at: p.updatedAt,
      })
      .onConflict((oc) => oc.column('order_id').doNothing())
      .returningAll(),
  );
  // A move sets what the PSP answered only on the way out of PENDING: two statements, one per shape of the SET.
  const move = prepare(db, ['orderId', 'from', 'to', 'now'], (d, p) =>
    d.updateTable('payments').set({ status: p.to, updated_at: p.now }).where('order_id', '=', p.orderId).where('status', '=', p.from).returningAll(),
  );
  const moveWithPsp = prepare(db, ['orderId', 'from', 'to', 'now', 'authorizationId', 'declineCode'], (d, p) =>
    d
      .updateTable('payments')
      .set({ status: p.to, updated_at: p.now, psp_authorization_id: p.authorizationId, decline_code: p.declineCode })
      .where('order_id', '=', p.orderId)
      .where('status', '=', p.from)
      .returningAll(),
  );

  const byOrder = async (orderId: string, trx: Kysely<Tables> = db): Promise<PaymentRecord | undefined> => {
    const [row] = await byOrderId({ orderId }, trx);
    return row ? toRecord(row) : undefined;
  };

  return {
    byOrder: (orderId: string) => byOrder(orderId),

    /**
     * Record the first result for an order; when another request recorded one
     * first (the unique order_id decides), keep theirs. Returns what is stored.
     */
    async insertOnce(p: PaymentRecord): Promise<PaymentRecord> {
      const [inserted] = await insert({
        paymentId: p.paymentId,
        orderId: p.orderId,
        amount: p.amount,
        currency: p.currency,
        status: p.status,
        pspAuthorizationId: p.pspAuthorizationId,
        cardLast4: p.cardLast4,
        declineCode: p.declineCode,
        createdAt: p.createdAt,
        updatedAt: p.updatedAt,
      });
      // Inserted: the row is returned (no second read). Another request's row was there first: read theirs.
      const stored = inserted ? toRecord(inserted) : await byOrder(p.orderId);
      if (!stored) throw new Error(`payment for order ${p.orderId} vanished after insert`);
      return stored;
    },

    /** Intents (PENDING) recorded before `before` (ISO-8601), oldest first: authorizations whose answer was never recorded. */
    async pendingBefore(before: string, limit: number): Promise<PaymentRecord[]> {
      // 'PENDING' as a literal, as the index of pending intents states its condition (migration 0004): bound, SQLite
      // could not match the two and would read every payment ever.
      const rows = await db.selectFrom('payments').selectAll().where('status', '=', sql.lit('PENDING')).where('created_at', '<', before).orderBy('created_at').limit(limit).execute();
      return rows.map(toRecord);
    },

    /**
     * Move a payment from one status to another and append its events, in one
     * transaction. Only when it is still in `from` (a concurrent change wins and
     * nothing is published twice). Returns the payment as it now is.
     */
    async moveStatus(opts: {
      orderId: string;
      from: PaymentStatus;
      to: PaymentStatus;
      events: PaymentEvent[];
      now: string;
      /** Set with the move out of PENDING: what the PSP answered. */
      psp?: { authorizationId: string | null; declineCode: string | null };
    }): Promise<PaymentRecord> {
      return db.transaction().execute(async (trx) => {
        const values = { orderId: opts.orderId, from: opts.from, to: opts.to, now: opts.now };
        const [moved] = opts.psp
          ? await moveWithPsp({ ...values, authorizationId: opts.psp.authorizationId, declineCode: opts.psp.declineCode }, trx)
          : await move(values, trx);
        if (moved) {
          for (const event of opts.events) await appendEvent(trx, 'payments', { type: event.type, subject: opts.orderId, data: event.data });
          return toRecord(moved);
        }
        // A concurrent change won: the payment as that change left it.
        const now = await byOrder(opts.orderId, trx);
        if (!now) throw new Error(`payment for order ${opts.orderId} vanished during a status change`);
        return now;
      });
    },
  };
}

