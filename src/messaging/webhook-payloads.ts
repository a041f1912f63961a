// The bodies of a channel's webhooks, in its hosting type's format (reference §5):
// Cloud: Meta's `whatsapp_business_account` envelope; On-Premise: top-level arrays.
import type { UserIdentity } from '../network/bsuid.ts';
import type { ChannelRow } from '../services/channels.ts';

export interface ChannelIdentity {
  /** What the payloads show of the channel: its format, number and Meta phone_number_id. */
  channel: Pick<ChannelRow, 'hosting_type' | 'phone_number' | 'external_id'>;
  /** Meta's WABA id (the WABA account's external_id). */
  wabaExternalId: string;
}

export interface StatusItem {
  id: string;
  /** played: a voice note's, after read (Cloud API only). */
  status: 'sent' | 'delivered' | 'read' | 'played' | 'failed';
  timestamp: string;
  recipient_id: string;
  /** Cloud API: "group" for a message sent to a group (Meta's Groups API); absent for a user. */
  recipient_type?: 'group';
  /** Cloud API, a group message's delivered and read statuses: the participant's number (group-statuses.ts). */
  recipient_participant_id?: string;
  /** Cloud API, a group message's delivered and read statuses: the participant's BSUID (group-statuses.ts). */
  recipient_participant_user_id?: string;
  conversation?: { id: string; expiration_timestamp?: string; origin: { type: string } };
  /** Meta's since per-message pricing: `type` regular | free_customer_service | free_entry_point (Cloud API only). */
  pricing?: { billable: boolean; pricing_model: string; category: string; type?: string };
  errors?: { code: number; title: string; message: string; error_data: { details: string } }[];
  /** Cloud API: the send's biz_opaque_callback_data, echoed back in all its statuses (not in On-Premise webhooks). */
  biz_opaque_callback_data?: string;
  /** Cloud API: the recipient's business-scoped user id (network/bsuid.ts); not in On-Premise webhooks. */
  recipient_user_id?: string;
  /** Cloud API: the recipient's parent BSUID, when Meta gives one; not in On-Premise webhooks. */
  recipient_parent_user_id?: string;
}

/** A `contacts[]` entry of a Cloud webhook as Meta writes it since BSUIDs (every field conditional). */
export interface WebhookContact {
  profile?: { name?: string; username?: string };
  wa_id?: string;
  user_id?: string;
  parent_user_id?: string;
}

/** What a network reported with a status (Meta's): shown as it came instead of made-up values. */
export type ReportedStatus = Pick<StatusItem, 'conversation' | 'pricing' | 'biz_opaque_callback_data' | 'recipient_user_id' | 'recipient_parent_user_id'> & {
  /** The status's contacts entry (Meta sends one with sent/delivered/read statuses). */
  contact?: WebhookContact;
};

export interface InboundItem {
  /** wa_id and from: the user's number, or their BSUID when identity.phoneless (see identity). */
  contact: { profile: { name: string }; wa_id: string };
  message: Record<string, unknown> & { from: string; id: string; timestamp: string; type: string };
  /**
   * The user's BSUID fields. Cloud webhooks carry them as Meta's do (contacts[].user_id,
   * parent_user_id, profile.username; messages[].from_user_id, from_parent_user_id) and, for a
   * phoneless user, leave out contacts[].wa_id and messages[].from as Meta does. On-Premise
   * webhooks (a legacy format that predates BSUIDs) stay as they were: a phoneless user's BSUID
   * stands in wa_id and from there, since On-Premise clients key every user by them.
   */
  identity?: UserIdentity;
}

function cloudEnvelope(who: ChannelIdentity, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: who.wabaExternalId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: who.channel.phone_number, phone_number_id: who.channel.external_id },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

export function statusPayload(who: ChannelIdentity, s: StatusItem, contact?: WebhookContact): unknown {
  if (who.channel.hosting_type === 'onpremise') {
    const { errors, recipient_user_id: _u, recipient_parent_user_id: _p, biz_opaque_callback_data: _o, pricing, ...rest } = s;
    // On-Premise errors carry `details` at the top level of each error. Its pricing object is
    // {billable, pricing_model, category} (reference §5.2): the Cloud API's later `type` is left out.
    return {
      statuses: [
        {
          ...rest,
          ...(pricing ? { pricing: { billable: pricing.billable, pricing_model: pricing.pricing_model, category: pricing.category } } : {}),
          type: 'message',
          ...(errors ? { errors: errors.map((e) => ({ code: e.code, title: e.title, details: e.error_data.details })) } : {}),
        },
      ],
    };
  }
  return cloudEnvelope(who, contact ? { contacts: [contact], statuses: [s] } : { statuses: [s] });
}

/**
 * Several statuses in one Cloud webhook, with their contacts (a group message's delivered or read
 * status, one item per participant: group-statuses.ts). Groups exist on Cloud numbers only.
 */
export function cloudStatusesPayload(who: ChannelIdentity, statuses: StatusItem[], contacts: WebhookContact[]): unknown {
  return cloudEnvelope(who, contacts.length ? { contacts, statuses } : { statuses });
}

/**
 * An inbound message as the On-Premise API wrote it: a voice note is its own type, `voice`, with
 * the media object under `voice` (reference §5.2, "`voice` type"; the .NET client's webhook types
 * list it, and Chatwoot's 360dialog channel reads `voice` as audio), where the Cloud API writes
 * `audio` with `"voice": true`.
 */
function onPremMessage(m: InboundItem['message']): InboundItem['message'] {
  const { audio, ...rest } = m;
  if (m.type !== 'audio' || audio === null || typeof audio !== 'object' || (audio as { voice?: unknown }).voice !== true) return m;
  const { voice: _flag, ...media } = audio as Record<string, unknown>;
  return { ...rest, type: 'voice', voice: media };
}

export function inboundPayload(who: ChannelIdentity, item: InboundItem): unknown {
  const id = item.identity;
  if (who.channel.hosting_type === 'onpremise') {
    const message = onPremMessage(item.message);
    // A phoneless user by their BSUID (as a message Meta gives no number for is stored); a no-op
    // on the Meta side, where `from` is the BSUID already, and what hides a sandbox user's number.
    if (id?.phoneless && id.userId !== undefined) {
      return { contacts: [{ ...item.contact, wa_id: id.userId }], messages: [{ ...message, from: id.userId }] };
    }
    return { contacts: [item.contact], messages: [message] };
  }
  // Meta's system messages (a user's number changed) carry no contacts array (its system messages reference).
  const noContacts = item.message.type === 'system';
  if (!id) return cloudEnvelope(who, noContacts ? { messages: [item.message] } : { contacts: [item.contact], messages: [item.message] });
  const { from, ...message } = item.message;
  const contact = {
    profile: id.username !== undefined ? { ...item.contact.profile, username: id.username } : item.contact.profile,
    ...(id.phoneless ? {} : { wa_id: item.contact.wa_id }),
    ...(id.userId !== undefined ? { user_id: id.userId } : {}),
    ...(id.parentUserId !== undefined ? { parent_user_id: id.parentUserId } : {}),
  };
  const sender = {
    ...(id.phoneless ? {} : { from }),
    ...(id.userId !== undefined ? { from_user_id: id.userId } : {}),
    ...(id.parentUserId !== undefined ? { from_parent_user_id: id.parentUserId } : {}),
  };
  return cloudEnvelope(who, noContacts ? { messages: [{ ...sender, ...message }] } : { contacts: [contact], messages: [{ ...sender, ...message }] });
}

/** Meta's WABA webhook (Cloud format) carrying one change of a WABA-level field; `time` (epoch seconds) only when known. */
export function wabaChangeWebhook(wabaExternalId: string, change: { field: string; value: unknown }, time?: number) {
  return { object: 'whatsapp_business_account', entry: [{ id: wabaExternalId, ...(time !== undefined ? { time } : {}), changes: [change] }] };
}
