// A group message's statuses per participant (Meta's Groups API), for the sandbox status engine
// (statuses.ts). What the sources say:
//  - `sent` is one status for the group: recipient_id the group id, recipient_type "group", no
//    participant (Meta's "Group messaging" page, developers.facebook.com/documentation/business-
//    messaging/whatsapp/groups/groups-messaging, "Group message sent example"; 360dialog's copy at
//    docs.360dialog.com/docs/messaging/groups/messaging-api). So is `failed` ("Group message failed
//    example"). Both stay as they were.
//  - `delivered` and `read` are per participant: Meta's status webhook reference
//    (…/whatsapp/webhooks/reference/messages/status) has recipient_id the group id and the
//    participant's number in recipient_participant_id "if message sent to a group"; Meta's
//    "Business-scoped user IDs" page (…/whatsapp/business-scoped-user-ids, "Status messages
//    webhooks for groups", for delivered and read) shows one `statuses[]` item and one
//    `contacts[]` entry per participant in the same webhook ("Additional status objects would
//    follow, if aggregated"), each item with recipient_participant_user_id, "always set to the
//    user's BSUID". whatsapp-api-js's ServerStatusPayload types a group status with
//    recipient_id, recipient_participant_id and recipient_type "group".
// Not confirmed by any source, chosen here: that all participants due at once come in one webhook
// (Meta says "if aggregated" and does not say when it aggregates; one event per step is what the
// sandbox sends, one item per member); that each item carries the message's conversation and
// pricing as an individual status does (Meta's sample shows both per item); a contact's
// profile.name (Meta's sample has it; individual sandbox statuses leave it out, and so do these).
// Members are those in the group when the status falls due who joined no later than the send
// (WhatsApp does not deliver earlier messages to a new member). A group with no such member gets
// no delivered or read webhook at all: nobody received the message, and a group-level delivered
// status without a participant exists in no source (whatsapp-api-js's type even rejects one).
// Groups exist on Cloud numbers only (group-send.ts: On-Premise numbers are refused), and statuses
// Meta reported (numbers on Meta's network) come as Meta sent them: neither is expanded.
import type { Executor } from '../db/index.ts';
import { sandboxBsuid } from '../network/bsuid.ts';
import type { StepFacts } from './status-facts.ts';
import type { StatusMove } from './statuses.ts';
import type { StatusItem, WebhookContact } from './webhook-payloads.ts';

/** A member a group message's delivered or read status names. */
export interface GroupMember {
  wa_id: string;
  username: string | null;
  /** The sandbox user hides their number (sandbox_users.hide_number): named by BSUID only. */
  hide_number?: number | null;
}

/**
 * What a group message's status events need beyond the message: the members to name, when one of
 * its moves is a sandbox delivered or read for a webhook (else undefined: its statuses name the group).
 */
export interface GroupStatusContext {
  members?: readonly GroupMember[];
}

const perParticipant = (m: StatusMove): boolean => !m.reported && (m.status === 'delivered' || m.status === 'read');

/** Whether this move of a group message is sent as one status per participant. */
export function isPerParticipant(facts: StepFacts, m: StatusMove): boolean {
  return facts.hosting_type !== 'onpremise' && perParticipant(m);
}

/** Whether a group message's moves need its members read (a webhook to write, and a per-participant move among them). */
function needsMembers(facts: StepFacts, moves: readonly StatusMove[]): boolean {
  return !!facts.webhook_url && !!facts.partner_id && facts.hosting_type !== 'onpremise' && moves.some(perParticipant);
}

/**
 * The status contexts of a round's group messages, by message id, reading the members of all of
 * them in one statement (only when one needs them). `groups` are messages isGroupId has picked.
 */
export async function groupStatusContexts(tx: Executor, groups: readonly { facts: StepFacts; moves: readonly StatusMove[] }[]): Promise<Map<string, GroupStatusContext>> {
  const out = new Map<string, GroupStatusContext>();
  const wanted = groups.filter((g) => needsMembers(g.facts, g.moves));
  const rows = wanted.length
    ? await tx
        .selectFrom('group_participants')
        .innerJoin('groups', 'groups.id', 'group_participants.group_id')
        .leftJoin('sandbox_users', (j) => j.onRef('sandbox_users.channel_id', '=', 'groups.channel_id').onRef('sandbox_users.wa_id', '=', 'group_participants.wa_id'))
        .select(['group_participants.group_id', 'group_participants.wa_id', 'group_participants.created_at', 'groups.channel_id', 'sandbox_users.username', 'sandbox_users.hide_number'])
        .where('group_participants.group_id', 'in', [...new Set(wanted.map((g) => g.facts.wa_id))])
        .where('group_participants.state', '=', 'member')
        .orderBy('group_participants.created_at')
        .orderBy('group_participants.wa_id')
        .execute()
    : [];
  for (const { facts, moves } of groups) {
    if (!needsMembers(facts, moves)) {
      out.set(facts.id, {});
      continue;
    }
    // ISO instants of the same clock: their text order is their time order.
    const members = rows
      .filter((r) => r.group_id === facts.wa_id && r.channel_id === facts.channel_id && r.created_at <= facts.created_at)
      .map((r) => ({ wa_id: r.wa_id, username: r.username, hide_number: r.hide_number }));
    out.set(facts.id, { members });
  }
  return out;
}

/**
 * One status item per member, each the group's `base` item naming its participant, and a contact
 * each (as an individual status's: the BSUID, the number unless hidden, the username in delivered and read).
 */
export function participantStatuses(
  secretKey: Buffer | undefined,
  partnerId: string,
  base: StatusItem,
  members: readonly GroupMember[],
): { statuses: StatusItem[]; contacts: WebhookContact[] } {
  const statuses: StatusItem[] = [];
  const contacts: WebhookContact[] = [];
  for (const p of members) {
    const userId = sandboxBsuid(secretKey, partnerId, p.wa_id);
    statuses.push({
      id: base.id,
      status: base.status,
      timestamp: base.timestamp,
      recipient_id: base.recipient_id,
      recipient_type: 'group',
      // A member who hides their number is named by BSUID, as an individual status names such a
      // user (statuses.ts: recipient_id the BSUID, no wa_id in the contact); unconfirmed for groups.
      recipient_participant_id: p.hide_number ? userId : p.wa_id,
      recipient_participant_user_id: userId,
      ...(base.conversation ? { conversation: base.conversation } : {}),
      ...(base.pricing ? { pricing: base.pricing } : {}),
    });
    contacts.push({ ...(p.username !== null ? { profile: { username: p.username } } : {}), ...(p.hide_number ? {} : { wa_id: p.wa_id }), user_id: userId });
  }
  return { statuses, contacts };
}
