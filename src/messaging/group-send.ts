// A send to a group (POST /messages with recipient_type "group", Meta's Groups API): the group must
// be one of the number's (messaging/groups.ts) with at least one participant, and the send is not
// an MM Lite one. Its statuses name the group (recipient_id, recipient_type "group": statuses.ts):
// one sent for the group, then delivered and read webhooks with a status object per participant,
// as Meta aggregates them (group-statuses.ts). On-Premise numbers have no groups (assertGroupsChannel).
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { metaError } from './errors.ts';
import { assertGroupsChannel, memberCount } from './groups.ts';
import { groupSuspended } from './group-inbound.ts';
import { groupNumberOf } from '../network/meta/groups-proxy.ts';

export async function checkGroupSend(deps: Deps, channel: ChannelRow, groupId: string, marketing: boolean): Promise<void> {
  if (marketing) throw metaError(400, 100, 'Invalid parameter', 'recipient_type: marketing messages (MM Lite) go to users, not to groups');
  // A Cloud number on Meta's network: its groups are Meta's (network/meta/groups-proxy.ts), and
  // Meta checks the group (whose, suspended, participants) when the send reaches it (cloud-body.ts
  // sends recipient_type "group"). Only a group id that names another number is refused here, as
  // the Groups routes refuse it: one token may serve several tenants' numbers.
  if (channel.network === 'meta' && channel.hosting_type !== 'onpremise') {
    const named = groupNumberOf(groupId);
    const own = (channel.phone_number ?? '').replace(/\D/g, '');
    if (named !== undefined && own !== '' && named !== own) throw metaError(400, 131009, 'Parameter value is not valid', `to: no group ${groupId.slice(0, 64)} on this number (another number's)`);
    return;
  }
  assertGroupsChannel(channel);
  const g = await deps.db.kysely.selectFrom('groups').select(['id', 'suspended']).where('id', '=', groupId).where('channel_id', '=', channel.id).executeTakeFirst();
  if (!g) throw metaError(400, 131009, 'Parameter value is not valid', `to: no group ${groupId.slice(0, 64)} on this number (deleted, or another number's)`);
  // A suspended group takes no messages until Meta clears the suspension (group-inbound.ts).
  if (g.suspended === 1) throw groupSuspended('to');
  if ((await memberCount(deps.db.kysely, g.id)) === 0) throw metaError(400, 131009, 'Parameter value is not valid', 'to: the group has no participants yet (users join through its invite link)');
}
