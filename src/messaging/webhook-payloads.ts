// The bodies of a channel's webhooks, in its hosting type's format (reference §5):
// Cloud: Meta's `whatsapp_business_account` envelope; On-Premise: top-level arrays.
import type { ChannelRow } from '../services/channels.ts';

export interface ChannelIdentity {
  /** What the payloads show of the channel: its format, number and Meta phone_number_id. */
  channel: Pick<ChannelRow, 'hosting_type' | 'phone_number' | 'external_id'>;
  /** Meta's WABA id (the WABA account's external_id). */
  wabaExternalId: string;
}

export interface StatusItem {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp: string;
  recipient_id: string;
  conversation?: { id: string; expiration_timestamp?: string; origin: { type: string } };
  pricing?: { billable: boolean; pricing_model: string; category: string };
  errors?: { code: number; title: string; message: string; error_data: { details: string } }[];
  /** Cloud API: the send's biz_opaque_callback_data, echoed back in its statuses (numbers on Meta's network). */
  biz_opaque_callback_data?: string;
}

export interface InboundItem {
  contact: { profile: { name: string }; wa_id: string };
  message: Record<string, unknown> & { from: string; id: string; timestamp: string; type: string };
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

export function statusPayload(who: ChannelIdentity, s: StatusItem): unknown {
  if (who.channel.hosting_type === 'onpremise') {
    const { errors, ...rest } = s;
    // On-Premise errors carry `details` at the top level of each error.
    return {
      statuses: [
        {
          ...rest,
          type: 'message',
          ...(errors ? { errors: errors.map((e) => ({ code: e.code, title: e.title, details: e.error_data.details })) } : {}),
        },
      ],
    };
  }
  return cloudEnvelope(who, { statuses: [s] });
}

export function inboundPayload(who: ChannelIdentity, item: InboundItem): unknown {
  if (who.channel.hosting_type === 'onpremise') return { contacts: [item.contact], messages: [item.message] };
  return cloudEnvelope(who, { contacts: [item.contact], messages: [item.message] });
}
