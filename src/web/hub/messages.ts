// A channel's recent messages for the Hub's channel page, newest first (read-only; the
// messaging module writes them). Served by the (channel_id, created_at) index.
import type { Deps } from '../../deps.ts';
import { removalOf, removalText } from '../../messaging/content-retention.ts';

export interface RecentMessage {
  id: string;
  direction: 'outbound' | 'inbound';
  wa_id: string;
  type: string;
  status: string;
  category: string | null;
  error_code: number | null;
  error_title: string | null;
  created_at: string;
  /** "content removed after 30 days" once the content retention has removed it; else null. */
  content_removed: string | null;
}

export async function recentMessages(deps: Deps, partnerId: string, channelId: string, limit: number): Promise<RecentMessage[]> {
  const rows = await deps.db.kysely
    .selectFrom('messages')
    .select(['id', 'direction', 'wa_id', 'type', 'status', 'category', 'error_code', 'error_title', 'created_at'])
    // The page shows no content: only a removed one's marker (a few bytes) is read, to say so.
    .select((eb) => eb.case().when('content_removed_at', 'is not', null).then(eb.ref('content')).end().as('removed_marker'))
    .where('channel_id', '=', channelId)
    .where('partner_id', '=', partnerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(({ removed_marker, ...m }) => {
    const removal = removed_marker === null ? undefined : removalOf(removed_marker);
    return { ...m, content_removed: removal ? removalText(removal) : null };
  });
}
