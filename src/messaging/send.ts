// A message's way through: limits → template and media checks → stored with the network's
// follow-up work in one transaction → the answer with its wamid.
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import type { AcceptedMessage, Network } from '../network/types.ts';
import { sandboxNetwork } from '../network/sandbox.ts';
import { metaError } from './errors.ts';
import { SendLimits } from './limits.ts';
import { checkTemplateSend } from './templates/check.ts';
import { checkFlowSend } from './flows/send-check.ts';
import type { MarkRead, NormalizedMessage } from './validate/message.ts';
import { newMessageId } from './wamid.ts';
import { insertMessage } from './messages.ts';
import { liveMedia } from './media/store.ts';
import { MEDIA_KINDS, type MediaKind } from './validate/types/media.ts';
import { SendBatcher } from './send-batcher.ts';
import { scheduleStatusPlan, storedPlan } from './status-plans.ts';

const networks: Record<string, Network> = { sandbox: sandboxNetwork };
const isMediaKind = (type: string): type is MediaKind => (MEDIA_KINDS as readonly string[]).includes(type);

export interface SendResult {
  id: string;
  input: string;
  waId: string;
}

export class Messenger {
  readonly limits = new SendLimits();
  private readonly writes: SendBatcher;
  constructor(private readonly deps: Deps) {
    this.writes = new SendBatcher(deps);
  }

  async send(channel: ChannelRow, msg: NormalizedMessage): Promise<SendResult> {
    const deps = this.deps;
    const network = networks[channel.network];
    if (!network) throw metaError(502, 131000, 'Something went wrong', `WhatsApp for Business API not available for network "${channel.network}"`);
    const now = deps.clock.now();
    this.limits.check(channel.id, channel.throughput_mps ?? deps.config.defaultThroughputMps, msg.waId, now.getTime());

    let category = 'service';
    if (msg.template) {
      if (channel.template_messaging === 0) {
        throw metaError(400, 131005, 'Access denied', 'Template messaging is disabled for this channel (template_messaging_disabled)');
      }
      category = await checkTemplateSend(deps, channel, msg.template);
    }
    if (msg.flow) await checkFlowSend(deps, channel, msg.flow);
    let media: AcceptedMessage['media'];
    if (msg.mediaId) {
      const row = await liveMedia(deps, channel.id, msg.mediaId);
      if (!row) throw metaError(400, 131009, 'Parameter value is not valid', `media id ${msg.mediaId} (in ${msg.type}) does not exist for this number, or has expired or been deleted`);
      // Its stored type goes to the network, which fails a file sent as the wrong kind after the 200, as Meta does.
      if (isMediaKind(msg.type)) media = { id: row.id, kind: msg.type, mime: row.mime_type };
    }

    const id = newMessageId(channel, msg.waId);
    const iso = now.toISOString();
    await this.writes.write(async (tx) => {
      const steps = await network.accept(deps, tx, { id, channel, waId: msg.waId, type: msg.type, isTemplate: msg.template !== undefined, acceptedAt: now, media });
      await insertMessage(tx, {
        id,
        channel,
        direction: 'outbound',
        waId: msg.waId,
        type: msg.type,
        content: msg.content,
        context: msg.context,
        contextId: msg.context?.message_id,
        status: 'accepted',
        category,
        templateName: msg.template?.name,
        at: iso,
        plan: storedPlan(steps),
      });
      scheduleStatusPlan(deps, tx, steps);
    });
    return { id, input: msg.input, waId: msg.waId };
  }

  /** Marks an inbound message (and, as WhatsApp does, the ones before it) as read. */
  async markRead(channel: ChannelRow, req: Pick<MarkRead, 'messageId'>): Promise<void> {
    const deps = this.deps;
    const msg = await deps.db.kysely
      .selectFrom('messages')
      .select(['id', 'wa_id', 'created_at', 'direction'])
      .where('id', '=', req.messageId)
      .where('channel_id', '=', channel.id)
      .executeTakeFirst();
    if (!msg) throw metaError(400, 100, 'Invalid parameter', `message_id: no message ${req.messageId.slice(0, 100)} on this number`);
    if (msg.direction !== 'inbound') return;
    const iso = deps.clock.now().toISOString();
    await deps.db.kysely
      .updateTable('messages')
      .set({ status: 'read', read_at: iso, modified_at: iso })
      .where('channel_id', '=', channel.id)
      .where('wa_id', '=', msg.wa_id)
      .where('direction', '=', 'inbound')
      .where('created_at', '<=', msg.created_at)
      .where('read_at', 'is', null)
      .execute();
  }
}
