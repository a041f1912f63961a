// A channel's recent messages for the Hub's channel page, newest first (read-only; the
// messaging module writes them). Served by the (channel_id, created_at) index. Each names its
// user as the business sees them (../user-view.ts): username, and the number only when the
// user does not hide it (else the BSUID).
import type { Deps } from '../../deps.ts';
import { removalOf, removalText } from '../../messaging/content-retention.ts';
import { businessView, userFacts, type BusinessUserView } from '../user-view.ts';

export interface RecentMessage {
  id: string;
  direction: 'outbound' | 'inbound';
  /** The user, as the business sees them (never the number of one who hides it). */
  user: BusinessUserView;
  type: string;
  status: string;
  category: string | null;
  error_code: number | null;
  error_title: string | null;
  created_at: string;
  /** "content removed after 30 days" once the content retention has removed it; else null. */
  content_removed: string | null;
}

/** `channel`: one of the partner's (the caller checked it); its network says whose BSUIDs its users have. */
export async function recentMessages(deps: Deps, partnerId: string, channel: { id: string; partner_id: string; network: string }, limit: number): Promise<RecentMessage[]> {
  const rows = await deps.db.kysely
    .selectFrom('messages')
    .select(['id', 'direction', 'wa_id', 'type', 'status', 'category', 'error_code', 'error_title', 'created_at'])
    // The page shows no content: only a removed one's marker (a few bytes) is read, to say so.
    .select((eb) => eb.case().when('content_removed_at', 'is not', null).then(eb.ref('content')).end().as('removed_marker'))
    .where('channel_id', '=', channel.id)
    .where('partner_id', '=', partnerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  // At most `limit` users, each looked up by the (channel_id, wa_id) key.
  const facts = await userFacts(deps, channel.id, rows.map((m) => m.wa_id));
  return rows.map(({ removed_marker, wa_id, ...m }) => {
    const removal = removed_marker === null ? undefined : removalOf(removed_marker);
    return { ...m, user: businessView(deps, channel, wa_id, facts.get(wa_id)), content_removed: removal ? removalText(removal) : null };
  });
}
