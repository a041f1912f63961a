// What the sandbox phone needs to know of the payments simulated users made (table
// sandbox_payments, written by sandbox-payments.ts only): each order's payment status for one
// user of one channel, and a fingerprint of them for the phone's poll. Read-only.
import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../db/index.ts';
import type { PaymentStatus } from './sandbox-payments.ts';

/** A payment's status, and for a failed one the reason its last transaction gives (transaction.error.reason). */
export interface PaymentState {
  status: PaymentStatus;
  reason?: string;
}

/** The failed transaction's reason in a stored payment (sandbox-payments.ts StoredPayment), if any. */
function failureReason(payment: string): string | undefined {
  try {
    const p = JSON.parse(payment) as { transactions?: { status?: unknown; error?: { reason?: unknown } }[] };
    const last = Array.isArray(p.transactions) ? p.transactions.at(-1) : undefined;
    return last?.status === 'failed' && typeof last.error?.reason === 'string' ? last.error.reason : undefined;
  } catch {
    return undefined;
  }
}

/** reference_id → the payment's status (captured, failed, pending) and a failure's reason, for the orders this user paid (or tried to) on this channel. */
export async function paymentStatesOf(db: Executor, channelId: string, waId: string): Promise<Map<string, PaymentState>> {
  const rows = await db.selectFrom('sandbox_payments').select(['reference_id', 'status', 'payment']).where('channel_id', '=', channelId).where('wa_id', '=', waId).execute();
  return new Map(
    rows.map((r) => {
      const reason = r.status === 'failed' ? failureReason(r.payment) : undefined;
      return [r.reference_id, { status: r.status as PaymentStatus, ...(reason ? { reason } : {}) }];
    }),
  );
}

/**
 * One SQL column that changes whenever a payment of this user on this channel is made or changes
 * status (count, latest change, and a weighted sum of statuses: a failed payment captured at the
 * same clock tick still moves it). For the phone's poll (conversation.ts keeps it one query).
 */
export function paymentsFingerprint(channelId: string, waId: string): RawBuilder<string | null> {
  return sql<string | null>`(select cast(count(*) as text) || '/' || coalesce(max(modified_at), '') || '/' || cast(coalesce(sum(case status when 'captured' then 1 when 'failed' then 1000 else 1000000 end), 0) as text) from sandbox_payments where channel_id = ${channelId} and wa_id = ${waId})`;
}
