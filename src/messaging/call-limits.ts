// Meta's limit on business-initiated calls (Calling API, "Obtain User Call Permissions", limits per
// business + WhatsApp user pair): at most CONNECTED_CALLS_PER_DAY connected business-initiated calls
// in any 24 hours. A call counts once it connected (start_time set), at the time it connected. The
// permissions answer reports the count (call-permission-state.ts); a connect over it is refused
// (error 138012, "Business Initiated Calls Limit Hit", in Meta's Calling API troubleshooting table:
// HTTP 400, with error_data details naming when the next call is allowed).
//
// The count is per business number and user, as the permissions answer's `limits` reports it (Meta's
// limits section is headed "per business + WhatsApp user pair"; the 138012 row says only "100
// connected business initiated calls are allowed within 24 hours"). Calls of a number on Meta's
// network count too once their webhooks are recorded (network/meta/call-records.ts).
import type { Executor } from '../db/index.ts';
import { metaError } from './errors.ts';

/** Meta: "Currently 100 connected business initiated calls are allowed within 24 hours" (error 138012). */
export const CONNECTED_CALLS_PER_DAY = 100;
const DAY_MS = 86_400_000;

export interface ConnectedCalls {
  /** Business-initiated calls with the user that connected in the last 24 hours. */
  count: number;
  /** ISO: when the oldest of them connected (the count drops 24 hours after it). */
  oldest: string | null;
}

/** The business-initiated calls to `waId` that connected in the 24 hours before `at`. */
export async function connectedCallsToday(db: Executor, channelId: string, waId: string, at: Date): Promise<ConnectedCalls> {
  const r = await db
    .selectFrom('calls')
    .select((e) => [e.fn.countAll<string | number>().as('n'), e.fn.min('start_time').as('oldest')])
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', waId)
    .where('direction', '=', 'BUSINESS_INITIATED')
    .where('start_time', 'is not', null)
    .where('start_time', '>', new Date(at.getTime() - DAY_MS).toISOString())
    .executeTakeFirstOrThrow();
  return { count: Number(r.n), oldest: (r.oldest as string | null) ?? null };
}

/** Refuses a business-initiated call to `waId` when the last 24 hours already hold CONNECTED_CALLS_PER_DAY connected ones. */
export async function refuseOverCallLimit(db: Executor, channelId: string, waId: string, at: Date): Promise<void> {
  const { count, oldest } = await connectedCallsToday(db, channelId, waId, at);
  if (count < CONNECTED_CALLS_PER_DAY) return;
  const next = new Date(new Date(oldest ?? at.toISOString()).getTime() + DAY_MS).toISOString();
  throw metaError(
    400,
    138012,
    'Business Initiated Calls Limit Hit',
    `${CONNECTED_CALLS_PER_DAY} business-initiated calls to ${waId} connected in the last 24 hours, the most allowed: the next call is allowed at ${next}`,
  );
}
