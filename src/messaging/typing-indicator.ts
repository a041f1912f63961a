// The typing indicator on a sandbox number (Meta's mark-as-read with
// `"typing_indicator":{"type":"text"}`): the user sees "typing…" until the business answers or
// TYPING_MS pass, whichever comes first ("the typing indicator will be dismissed once you respond,
// or after 25 seconds"). Stored on the user's row (sandbox_users.typing_until) so every instance
// and the sandbox phone see it; the number's next message to the user clears it
// (network/sandbox.ts, only when set: the send already reads that row).
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';

export const TYPING_MS = 25_000;

/** The business starts typing to this user of the sandbox number, from `now` for TYPING_MS. */
export async function startTyping(deps: Deps, channelId: string, waId: string, now: Date): Promise<void> {
  // No row for the user (none ever wrote): nothing to show it on, as there is no chat to read.
  await deps.db.kysely
    .updateTable('sandbox_users')
    .set({ typing_until: new Date(now.getTime() + TYPING_MS).toISOString() })
    .where('channel_id', '=', channelId)
    .where('wa_id', '=', waId)
    .execute();
}

/** The business's message to this user dismisses the indicator (in the send's transaction). */
export async function stopTyping(tx: Executor, channelId: string, waId: string): Promise<void> {
  await tx.updateTable('sandbox_users').set({ typing_until: null }).where('channel_id', '=', channelId).where('wa_id', '=', waId).execute();
}

/** Until when the business is shown typing, or null: not typing (never, answered, or the time ran out). */
export function typingUntil(stored: string | null | undefined, now: Date): string | null {
  return stored && Date.parse(stored) > now.getTime() ? stored : null;
}
