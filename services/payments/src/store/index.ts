import { openStore, type Store, type StoreLocation } from '@bazaar/store';
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
  const byOrder = async (orderId: string, trx: Kysely<Tables> = db): Promise<PaymentRecord | undefined> => {
    const row = await trx.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  };

  return {
    byOrder: (orderId: string) => byOrder(orderId),

    /**
     * Record the first result for an order; when another request recorded one
     * first (the unique order_id decides), keep theirs. Returns what is stored.
     */
    async insertOnce(p: PaymentRecord): Promise<PaymentRecord> {
      const inserted = await db
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
        .returningAll()
        .executeTakeFirst();
      // Inserted: the row is returned (no second read). Another request's row was there first: read theirs.
      const stored = inserted ? toRecord(inserted) : await byOrder(p.orderId);
      if (!stored) throw new Error(`payment for order ${p.orderId} vanished after insert`);
      return stored;
    },

    /** Intents (PENDING) recorded before `before` (ISO-8601), oldest first: authorizations whose answer was never recorded. */
    async pendingBefore(before: string, limit: number): Promise<PaymentRecord[]> {
      const rows = await db.selectFrom('payments').selectAll().where('status', '=', 'PENDING').where('created_at', '<', before).orderBy('created_at').limit(limit).execute();
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
        const moved = await trx
          .updateTable('payments')
          .set({
            status: opts.to,
            updated_at: opts.now,
            ...(opts.psp ? { psp_authorization_id: opts.psp.authorizationId, decline_code: opts.psp.declineCode } : {}),
          })
          .where('order_id', '=', opts.orderId)
          .where('status', '=', opts.from)
          .returningAll()
          .executeTakeFirst();
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

