// Sending through Meta's Cloud API. 360dialog is a synchronous proxy in front of Meta, and so is
// openwaba for a number on Meta's network: once our own checks have passed, the message is posted
// to `{graph}/{version}/{phone_number_id}/messages` as a Cloud API body, and the client gets
// Meta's answer: its wamid and wa_id, or its error (graph-errors.ts). Meta then reports the
// statuses through its webhooks; nothing is simulated here (no status plan, no 24-hour window,
// no sandbox users: Meta enforces the window itself).
//
// A message Meta took is stored only after its answer: if the process dies in between, Meta
// has sent a message openwaba has no row of (its statuses then name an unknown id). A synchronous
// proxy cannot avoid that window without holding a row for a message Meta may refuse.
import type { Deps } from '../../deps.ts';
import { liveMedia } from '../../messaging/media/store.ts';
import type { NormalizedMessage } from '../../messaging/validate/message.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { credentialsFor } from './channel-credentials.ts';
import { cloudBody, mediaIdsOf } from './cloud-body.ts';
import type { GraphMetrics } from './graph-metrics.ts';
import { GraphClient } from './graph-client.ts';
import { badAnswer, graphError } from './graph-errors.ts';
import { MediaUploads } from './media-upload.ts';
import { isObj } from '../../messaging/validate/check.ts';
import { isBsuid } from '../bsuid.ts';

export interface MetaSent {
  /** Meta's wamid: the stored message's id. */
  wamid: string;
  /** The WhatsApp id Meta resolved the recipient to (for a send to a BSUID without one in Meta's answer: the BSUID). */
  waId: string;
  /** What Meta's answer's contacts[0] says of the recipient, to answer the client with. */
  contact: { wa_id?: string; user_id?: string };
  /** Meta's message_status (accepted, held_for_quality_assessment) when it gives one. */
  messageStatus?: string;
}

const first = (v: unknown): Record<string, unknown> | undefined => (Array.isArray(v) && isObj(v[0]) ? v[0] : undefined);

export class MetaSender {
  private readonly graph: GraphClient;
  private readonly uploads: MediaUploads;

  constructor(
    private readonly deps: Deps,
    metrics?: GraphMetrics,
  ) {
    this.graph = new GraphClient(deps.config, metrics);
    this.uploads = new MediaUploads(deps, this.graph);
  }

  /**
   * `marketing`: a POST /marketing_messages send (MM Lite): it goes to Graph's
   * `{phone_number_id}/marketing_messages` edge, with its MM Lite fields (message_activity_sharing,
   * product_policy) beside the Cloud body. Meta's answer has the same shape as a /messages one.
   */
  async send(channel: ChannelRow, msg: NormalizedMessage, marketing?: Record<string, unknown>): Promise<MetaSent> {
    const creds = await credentialsFor(this.deps, channel);
    const metaIds = new Map<string, string>();
    for (const id of mediaIdsOf(msg)) {
      const row = await liveMedia(this.deps, channel.id, id);
      if (row) metaIds.set(id, await this.uploads.metaIdOf(row, creds.phoneNumberId, creds.accessToken));
    }
    const json = marketing ? { ...cloudBody(msg, metaIds), ...marketing } : cloudBody(msg, metaIds);
    const answer = await this.graph.call('POST', `${creds.phoneNumberId}/${marketing ? 'marketing_messages' : 'messages'}`, creds.accessToken, { json });
    if (answer.status >= 300) throw graphError(answer);
    const body = isObj(answer.body) ? answer.body : {};
    const message = first(body.messages);
    const wamid = message?.id;
    // Meta took the message (2xx) but gave no id we can store it under: the client must know.
    if (typeof wamid !== 'string' || wamid === '' || wamid.length > 256) {
      throw badAnswer(`HTTP ${answer.status} but no message id; the message may have been sent`);
    }
    const answered = first(body.contacts);
    const waId = typeof answered?.wa_id === 'string' && /^\d{1,32}$/.test(answered.wa_id) ? answered.wa_id : undefined;
    // Meta's answer to a send to a BSUID has contacts[].user_id and no wa_id; to a number, wa_id
    // (dualhook.com/docs/contacts-bsuid-api-changes). Passed back as Meta gave them; a send to a
    // number whose answer lacks wa_id still answers the number, as before.
    const userId = isBsuid(answered?.user_id) ? answered.user_id : undefined;
    const contact = msg.userId !== undefined ? { ...(waId !== undefined ? { wa_id: waId } : {}), ...(userId !== undefined ? { user_id: userId } : {}) } : { wa_id: waId ?? msg.waId, ...(userId !== undefined ? { user_id: userId } : {}) };
    const status = message?.message_status;
    return {
      wamid,
      contact,
      waId: waId ?? msg.waId,
      ...(typeof status === 'string' ? { messageStatus: status.slice(0, 64) } : {}),
    };
  }

  /** Marks an inbound message read at Meta (which shows the blue ticks), with the typing indicator if asked. */
  async markRead(channel: ChannelRow, messageId: string, typingIndicator: boolean): Promise<void> {
    const creds = await credentialsFor(this.deps, channel);
    const json = { messaging_product: 'whatsapp', status: 'read', message_id: messageId, ...(typingIndicator ? { typing_indicator: { type: 'text' } } : {}) };
    const answer = await this.graph.call('POST', `${creds.phoneNumberId}/messages`, creds.accessToken, { json });
    if (answer.status >= 300) throw graphError(answer);
  }

  close(): Promise<void> {
    return this.graph.close();
  }
}
