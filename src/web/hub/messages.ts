// A channel's recent messages for the Hub's channel page, newest first (read-only; the
// messaging module writes them). Served by the (channel_id, created_at) index.
import type { Deps } from '../../deps.ts';

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
}

export async function recentMessages(deps: Deps, partnerId: string, channelId: string, limit: number): Promise<RecentMessage[]> {
  return deps.db.kysely
    .selectFrom('messages')
    .select(['id', 'direction', 'wa_id', 'type', 'status', 'category', 'error_code', 'error_title', 'created_at'])
    .where('channel_id', '=', channelId)
    .where('partner_id', '=', partnerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
