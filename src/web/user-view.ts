// How the pages name a WhatsApp user of a channel. Meta's rules for what a business sees (its
// "Business-scoped user IDs" page; dualhook.com/docs/contacts-bsuid-webhooks): the user's BSUID
// always, their username when they adopted one, their number unless they hide it. The sandbox
// keeps a user's number as their key (messaging/inbound.ts) and hides it on the wire only; the
// Hub, the business's side, hides it the same way, on every row of that user (showing it on rows
// the business sent to the number would tie the number to the BSUID on the others). The sandbox
// phone is the user's own device and knows its own number.
import type { Deps } from '../deps.ts';
import { isBsuid, sandboxBsuid } from '../network/bsuid.ts';

/** The facts a page needs of a simulated user (sandbox_users), by wa_id. */
export interface UserFacts {
  name: string | null;
  username: string | null;
  hidesNumber: boolean;
}

/** The users' stored facts on one channel; a wa_id with no row (no facts set, never wrote) is absent. */
export async function userFacts(deps: Deps, channelId: string, waIds: string[]): Promise<Map<string, UserFacts>> {
  const out = new Map<string, UserFacts>();
  const wanted = [...new Set(waIds)];
  if (wanted.length === 0) return out;
  const rows = await deps.db.kysely
    .selectFrom('sandbox_users')
    .select(['wa_id', 'name', 'username', 'hide_number'])
    .where('channel_id', '=', channelId)
    .where('wa_id', 'in', wanted)
    .execute();
  for (const r of rows) out.set(r.wa_id, { name: r.name, username: r.username, hidesNumber: r.hide_number === 1 });
  return out;
}

/** A user as a business sees them. */
export interface BusinessUserView {
  /** Without the @; null: none. */
  username: string | null;
  /** null when the business does not see it (the user hides it, or Meta gave only a BSUID). */
  number: string | null;
  /** The BSUID, when known: a sandbox user's own, or a stored wa_id that is one (Meta's user without a number). */
  userId: string | null;
}

/** `channel`: the channel the user writes to (a sandbox BSUID is scoped to its partner). */
export function businessView(
  deps: Deps,
  channel: { partner_id: string; network: string },
  waId: string,
  facts: UserFacts | undefined,
): BusinessUserView {
  if (isBsuid(waId)) return { username: facts?.username ?? null, number: null, userId: waId };
  const userId = channel.network === 'sandbox' && /^\d+$/.test(waId) ? sandboxBsuid(deps.config.secretKey, channel.partner_id, waId) : null;
  // Only a sandbox user hides a number (POST /sandbox/v1/users); without a BSUID a hidden number would leave nothing to show.
  const hidden = facts?.hidesNumber === true && userId !== null;
  return { username: facts?.username ?? null, number: hidden ? null : waId, userId };
}
