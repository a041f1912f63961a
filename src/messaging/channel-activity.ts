// Read-only views of a channel's calls (call-lifecycle.ts, table `calls`) and groups (groups.ts, tables
// `groups` and `group_participants`) for the Partner Hub's channel page. The caller has checked the
// channel is the signed-in partner's; every query here is scoped to that channel's id.
import type { Executor } from '../db/index.ts';

export interface CallSummary {
  id: string;
  direction: 'BUSINESS_INITIATED' | 'USER_INITIATED';
  wa_id: string;
  /** ringing | pre_accepted | accepted | rejected | ended (calls.state). */
  state: string;
  created_at: string;
  /** Whole seconds from connect to end, as the terminate webhook's `duration`; null: never connected, or not ended yet. */
  duration: number | null;
  /** Connected and not ended yet. */
  ongoing: boolean;
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The channel's last `limit` calls, newest first. */
export async function recentCalls(db: Executor, channelId: string, limit: number): Promise<CallSummary[]> {
  const rows = await db
    .selectFrom('calls')
    .select(['id', 'direction', 'wa_id', 'state', 'created_at', 'start_time', 'end_time'])
    .where('channel_id', '=', channelId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    direction: r.direction,
    wa_id: r.wa_id,
    state: r.state,
    created_at: r.created_at,
    duration: r.start_time !== null && r.end_time !== null ? Math.max(0, seconds(r.end_time) - seconds(r.start_time)) : null,
    ongoing: r.start_time !== null && r.end_time === null,
  }));
}

export interface GroupSummary {
  id: string;
  subject: string;
  /** Members besides the business (Graph's total_participant_count). */
  participants: number;
  suspended: boolean;
  /** Whether the group has an invite link (https://chat.whatsapp.com/{invite_code}); the link itself is not shown. */
  invite_link: boolean;
  /** Open join requests (approval_required groups). */
  pending_requests: number;
  created_at: string;
}

/** The channel's newest `limit` groups, with their member and open join request counts. */
export async function channelGroups(db: Executor, channelId: string, limit: number): Promise<GroupSummary[]> {
  const groups = await db
    .selectFrom('groups')
    .select(['id', 'subject', 'suspended', 'invite_code', 'created_at'])
    .where('channel_id', '=', channelId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  if (groups.length === 0) return [];
  const counts = await db
    .selectFrom('group_participants')
    .select(['group_id', 'state'])
    .select((e) => e.fn.countAll<string | number>().as('n'))
    .where('group_id', 'in', groups.map((g) => g.id))
    .groupBy(['group_id', 'state'])
    .execute();
  const count = (groupId: string, state: string) => Number(counts.find((c) => c.group_id === groupId && c.state === state)?.n ?? 0);
  return groups.map((g) => ({
    id: g.id,
    subject: g.subject,
    participants: count(g.id, 'member'),
    suspended: g.suspended === 1,
    invite_link: g.invite_code !== '',
    pending_requests: count(g.id, 'requested'),
    created_at: g.created_at,
  }));
}
