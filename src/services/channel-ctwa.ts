// Click-to-WhatsApp (CTWA) tracking of a channel, the switch 360dialog's Signals API needs on
// before tracking keywords are configured (docs.360dialog.com/partner/measurement-solution/
// signals-api/auth-and-base-url): POST …/clients/{cid}/channels/{chid}/enable_ctwa | disable_ctwa.
// The flag is stored on the channel (channels.ctwa_enabled). The docs name no field showing it on
// the channel object, so the channel object does not show it.
import type { Deps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { getClient } from './clients.ts';
import { findChannel } from './channels.ts';

/** Switches tracking on or off; switching to the state it is in changes nothing and succeeds. */
export async function setCtwaTracking(deps: Deps, scope: { partnerId: string; clientId: string; channelId: string }, enabled: boolean): Promise<void> {
  await getClient(deps, scope.partnerId, scope.clientId);
  const ch = await findChannel(deps, scope.partnerId, scope.channelId);
  if (!ch || ch.client_id !== scope.clientId) throw notFound(`Channel ${scope.channelId} not found for client ${scope.clientId}`);
  if (ch.terminated_at && enabled) throw new ApiError(400, `Channel ${scope.channelId} is terminated`);
  if ((ch.ctwa_enabled === 1) === enabled) return;
  await deps.db.kysely
    .updateTable('channels')
    .set({ ctwa_enabled: enabled ? 1 : 0, modified_at: deps.clock.now().toISOString() })
    .where('id', '=', ch.id)
    .where('partner_id', '=', scope.partnerId)
    .execute();
}
