// A user's permission for the business to call them (Calling API, business-initiated calls),
// kept per number and user in call_permissions (migration 0032). It is what the user's last answer
// left: a call_permission_reply (inbound.ts stores each one as it arrives, on either network), or a
// call of the user's own, which grants a temporary permission when the number's
// callback_permission_status is ENABLED ("Callback permission is provided by the WhatsApp user",
// Meta's "Obtain User Call Permissions").
import type { Executor } from '../db/index.ts';
import { TEMPORARY_CALL_PERMISSION_SECONDS } from './call-permission-reply.ts';
import { isObj } from './validate/check.ts';

export interface CallPermissionState {
  granted: boolean;
  /** Epoch seconds: the end of a temporary permission. */
  expiration?: number;
}

/** Records an inbound message's call_permission_reply, if it is one (called in the transaction that stores the message). */
export async function recordCallPermissionReply(tx: Executor, channelId: string, waId: string, type: string, content: unknown, at: Date): Promise<void> {
  if (type !== 'interactive' || !isObj(content) || content.type !== 'call_permission_reply' || !isObj(content.call_permission_reply)) return;
  const r = content.call_permission_reply;
  const granted = r.response === 'accept';
  const permanent = granted && r.is_permanent === true;
  const expiresAt = granted && !permanent ? new Date((typeof r.expiration_timestamp === 'number' ? r.expiration_timestamp : Math.floor(at.getTime() / 1000) + TEMPORARY_CALL_PERMISSION_SECONDS) * 1000).toISOString() : null;
  const row = {
    status: granted ? 'granted' : 'rejected',
    is_permanent: permanent ? 1 : 0,
    expires_at: expiresAt,
    source: r.response_source === 'automatic' ? 'automatic' : 'user_action',
    modified_at: at.toISOString(),
  };
  await savePermission(tx, channelId, waId, row);
}

/** A user's call grants a temporary permission (7 days), unless a permanent one stands already. */
export async function grantCallbackPermission(tx: Executor, channelId: string, waId: string, at: Date): Promise<void> {
  const now = await callPermission(tx, channelId, waId, at);
  if (now.granted && now.expiration === undefined) return;
  const row = {
    status: 'granted',
    is_permanent: 0,
    expires_at: new Date(at.getTime() + TEMPORARY_CALL_PERMISSION_SECONDS * 1000).toISOString(),
    source: 'automatic',
    modified_at: at.toISOString(),
  };
  await savePermission(tx, channelId, waId, row);
}

/** Stores the user's permission for the number (one row per number and user, replaced). */
async function savePermission(
  tx: Executor,
  channelId: string,
  waId: string,
  row: { status: string; is_permanent: number; expires_at: string | null; source: string; modified_at: string },
): Promise<void> {
  await tx
    .insertInto('call_permissions')
    .values({ channel_id: channelId, wa_id: waId, ...row })
    .onConflict((oc) => oc.columns(['channel_id', 'wa_id']).doUpdateSet(row))
    .execute();
}

/** Whether the business may call the user now: a granted permission, permanent or not yet expired. */
export async function callPermission(tx: Executor, channelId: string, waId: string, at: Date): Promise<CallPermissionState> {
  const row = await tx.selectFrom('call_permissions').select(['status', 'is_permanent', 'expires_at']).where('channel_id', '=', channelId).where('wa_id', '=', waId).executeTakeFirst();
  if (!row || row.status !== 'granted') return { granted: false };
  if (row.is_permanent === 1 || row.expires_at === null) return { granted: true };
  const end = new Date(row.expires_at).getTime();
  if (end <= at.getTime()) return { granted: false };
  return { granted: true, expiration: Math.floor(end / 1000) };
}
