// A flow message is completed once: WhatsApp marks the message's CTA as submitted after the user
// completes the flow, and the same flow_token cannot be completed again. The sandbox phone knows
// a flow message was completed from the messages table itself: an inbound interactive reply of the
// same user whose context_id is the flow message (the nfm_reply; receiveInbound stores a reply's
// context.id in context_id). Nothing else is kept, so it holds on SQLite and PostgreSQL alike, for
// a completion by the phone, by its endpoint (SUCCESS), or by POST /sandbox/v1/inbound (which,
// the developer's raw tool, still takes another nfm_reply for a completed flow).
import type { DialectKind, Executor } from '../../db/index.ts';


export interface FlowCompletion {
  /** The nfm_reply's wamid. */
  replyId: string;
  at: string;
  /** The response_json sent, or undefined when the reply's content is no longer kept (content retention). */
  responseJson?: string;
}

/**
 * The first reply that completed the flow message `messageId` (of user `waId` on the channel), or
 * undefined. With `lock` (inside a transaction) the flow message's row is locked first on
 * PostgreSQL, so two completions at once are told apart (SQLite runs one transaction at a time).
 */
export async function flowCompletion(db: Executor, kind: DialectKind, channelId: string, waId: string, messageId: string, opts: { lock?: boolean } = {}): Promise<FlowCompletion | undefined> {
  if (opts.lock && kind === 'postgres') {
    await db.selectFrom('messages').select('id').where('id', '=', messageId).where('channel_id', '=', channelId).forUpdate().executeTakeFirst();
  }
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'content', 'created_at'])
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', waId)
    .where('context_id', '=', messageId)
    .where('direction', '=', 'inbound')
    .where('type', '=', 'interactive')
    .orderBy('created_at')
    .orderBy('id')
    .limit(20)
    .execute();
  for (const r of rows) {
    let content: unknown;
    try {
      content = JSON.parse(r.content);
    } catch {
      continue;
    }
    const c = content as { interactive?: { type?: unknown; nfm_reply?: { response_json?: unknown } }; removed?: unknown };
    // Content removed after its retention: an interactive answer to a flow message can only be its nfm_reply.
    if (c.removed !== undefined) return { replyId: r.id, at: r.created_at };
    if (c.interactive?.type !== 'nfm_reply') continue;
    const rj = c.interactive.nfm_reply?.response_json;
    return { replyId: r.id, at: r.created_at, ...(typeof rj === 'string' ? { responseJson: rj } : {}) };
  }
  return undefined;
}
