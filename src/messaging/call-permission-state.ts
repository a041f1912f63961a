// A user's call permission state as the business sees it (Meta's GET /{phone-number-id}/call_permissions;
// 360dialog's GET /calling/permissions/{wa_id}; routes/calling.ts): the permission (call-permissions.ts)
// and what the business can do next, with Meta's limits and the usage so far (call-limits.ts).
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { callPermission } from './call-permissions.ts';
import { CONNECTED_CALLS_PER_DAY, connectedCallsToday } from './call-limits.ts';

// ---- call permission state ----

export async function permissionState(deps: Deps, channel: ChannelRow, waId: string): Promise<unknown> {
  const db = deps.db.kysely;
  const at = deps.clock.now();
  const p = await callPermission(db, channel.id, waId, at);
  const dayAgo = new Date(at.getTime() - 86_400_000).toISOString();
  const weekAgo = new Date(at.getTime() - 7 * 86_400_000).toISOString();
  // Permission requests sent: outbound interactive call_permission_request messages (template ones are not told apart).
  const requests = (since: string) =>
    db
      .selectFrom('messages')
      .select((e) => e.fn.countAll<string | number>().as('n'))
      .where('channel_id', '=', channel.id)
      .where('wa_id', '=', waId)
      .where('direction', '=', 'outbound')
      .where('type', '=', 'interactive')
      .where('content', 'like', '%"call_permission_request"%')
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  const [day, week] = [await requests(dayAgo), await requests(weekAgo)];
  const connected = (await connectedCallsToday(db, channel.id, waId, at)).count;
  // Meta's limits (Obtain User Call Permissions): 1 request a day, 2 a week per user; 100 connected calls a day.
  return {
    messaging_product: 'whatsapp',
    // Statuses: "granted" (with expiration_time when temporary) or "no_permission" (none, rejected or expired).
    permission: p.granted ? { status: 'granted', ...(p.expiration !== undefined ? { expiration_time: p.expiration } : {}) } : { status: 'no_permission' },
    actions: [
      {
        action_name: 'send_call_permission_request',
        can_perform_action: !p.granted && day < 1 && week < 2,
        limits: [
          { time_period: 'PT24H', max_allowed: 1, current_usage: day },
          { time_period: 'P7D', max_allowed: 2, current_usage: week },
        ],
      },
      {
        action_name: 'start_call',
        can_perform_action: p.granted && connected < CONNECTED_CALLS_PER_DAY,
        limits: [{ time_period: 'PT24H', max_allowed: CONNECTED_CALLS_PER_DAY, current_usage: connected }],
      },
    ],
  };
}
