// A message's way through: limits → template and media checks → stored with the network's
// follow-up work in one transaction → the answer with its wamid. On Meta's network the checks
// that need Meta's own data (templates, flows, media ids) are Meta's, and the message goes to Meta
// before it is stored, under Meta's wamid (network/meta/send.ts).
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import type { AcceptedMessage, Network } from '../network/types.ts';
import { sandboxNetwork } from '../network/sandbox.ts';
import { metaError } from './errors.ts';
import { SendLimits } from './limits.ts';
import { checkTemplateSend, storedTemplateCategory } from './templates/check.ts';
import { checkFlowSend } from './flows/send-check.ts';
import { checkOrderSend } from './payments/send-check.ts';
import type { MarkRead, NormalizedMessage } from './validate/message.ts';
import { newMessageId } from './wamid.ts';
import { insertMessage } from './messages.ts';
import { liveMedia } from './media/store.ts';
import { MEDIA_KINDS, type MediaKind } from './validate/types/media.ts';
import { SendBatcher } from './send-batcher.ts';
import { scheduleStatusPlan, storedPlan } from './status-plans.ts';
import { MetaSender } from '../network/meta/send.ts';
import type { GraphMetrics } from '../network/meta/graph-metrics.ts';
import { sandboxNumberOf } from '../network/sandbox-bsuid.ts';
import { marketingCategory, type MarketingSend } from './marketing-messages.ts';
import { enforceWabaRestrictions } from './account-update.ts';
import { refuseBlockedRecipient } from './blocklist.ts';
import { startTyping } from './typing-indicator.ts';
import { checkGroupSend } from './group-send.ts';

const networks: Record<string, Network> = { sandbox: sandboxNetwork };
const isMediaKind = (type: string): type is MediaKind => (MEDIA_KINDS as readonly string[]).includes(type);

/** The part of a request's logger a send needs. */
export interface StoreFailureLog {
  error(obj: object, msg: string): void;
  /** A send accepted with a problem the user will meet later (an order's payment configuration: payments/send-check.ts). */
  warn?(obj: object, msg: string): void;
}

export interface SendResult {
  id: string;
  input: string;
  waId: string;
  /**
   * The answer's contacts[0] beyond input: Meta's answer has wa_id for a send to a number and
   * user_id for one to a BSUID (dualhook.com/docs/contacts-bsuid-api-changes). Unset: {wa_id: waId}.
   */
  contact?: { wa_id?: string; user_id?: string };
  /** Meta's message_status, when Meta gave one (numbers on Meta's network). */
  messageStatus?: string;
}

export interface SendOptions {
  /** A POST /marketing_messages send (MM Lite): MARKETING templates only, Graph's marketing_messages edge (marketing-messages.ts). */
  marketing?: MarketingSend;
}

/** The stored row of an accepted send (its id and wa_id: ours, or Meta's). */
function outboundRow(channel: ChannelRow, msg: NormalizedMessage, o: { id: string; waId: string; category: string; at: string }) {
  return {
    id: o.id,
    channel,
    direction: 'outbound' as const,
    waId: o.waId,
    type: msg.type,
    content: msg.content,
    context: msg.context,
    contextId: msg.context?.message_id,
    status: 'accepted' as const,
    category: o.category,
    templateName: msg.template?.name,
    at: o.at,
  };
}

export class Messenger {
  readonly limits = new SendLimits();
  private readonly writes: SendBatcher;
  private readonly meta: MetaSender;
  constructor(
    private readonly deps: Deps,
    metaMetrics?: GraphMetrics,
  ) {
    this.writes = new SendBatcher(deps);
    this.meta = new MetaSender(deps, metaMetrics);
  }

  /** Closes the connections to Meta's Graph API (the app's onClose). */
  close(): Promise<void> {
    return this.meta.close();
  }

  /** log: where a send that Meta took but that could not be stored is reported (the request's logger). */
  async send(channel: ChannelRow, msg: NormalizedMessage, log?: StoreFailureLog, opts: SendOptions = {}): Promise<SendResult> {
    const deps = this.deps;
    const onMeta = channel.network === 'meta';
    const network = networks[channel.network];
    if (!network && !onMeta) throw metaError(502, 131000, 'Something went wrong', `WhatsApp for Business API not available for network "${channel.network}"`);
    const group = msg.recipientType === 'group';
    if (group) await checkGroupSend(deps, channel, msg.waId, opts.marketing !== undefined);
    const now = deps.clock.now();
    // A send to a sandbox user's BSUID goes to their number; an unknown BSUID stays the recipient
    // and fails (sandbox.ts). Meta's answer to a send to a BSUID names the BSUID, not the number.
    // Resolved before the limits: the pair rate limit (131056) is the user's, by number or BSUID.
    let contact: SendResult['contact'];
    if (!onMeta && msg.userId !== undefined) {
      const number = await sandboxNumberOf(deps.db.kysely, deps.config.secretKey, channel.partner_id, msg.userId);
      contact = { user_id: msg.userId };
      if (number !== undefined) msg = { ...msg, waId: number };
    }
    // A sandbox WABA's restrictions and ban (POST /sandbox/v1/account_update): read only when it has some.
    if (!onMeta && (channel.waba_restrictions || channel.waba_banned_at)) await enforceWabaRestrictions(deps, channel, msg.waId, now);
    // A user the sandbox number blocked (POST /block_users): looked up only when it has blocked someone.
    if (!onMeta && channel.blocked_user_count > 0) await refuseBlockedRecipient(deps, channel, msg.waId);
    this.limits.check(channel.id, channel.throughput_mps ?? deps.config.defaultThroughputMps, msg.waId, now.getTime());

    let category = 'service';
    if (msg.template) {
      if (channel.template_messaging === 0) {
        throw metaError(400, 131005, 'Access denied', 'Template messaging is disabled for this channel (template_messaging_disabled)');
      }
      category = onMeta ? await storedTemplateCategory(deps, channel, msg.template) : await checkTemplateSend(deps, channel, msg.template, msg.userId);
    }
    if (opts.marketing) category = marketingCategory(onMeta ? undefined : category, opts.marketing);
    if (onMeta) return this.sendThroughMeta(channel, msg, category, now.toISOString(), log, opts.marketing);
    if (msg.flow) await checkFlowSend(deps, channel, msg.flow);
    if (msg.payment) await checkOrderSend(deps, channel, msg.payment, now, log);
    let media: AcceptedMessage['media'];
    if (msg.mediaId) {
      const row = await liveMedia(deps, channel.id, msg.mediaId);
      if (!row) throw metaError(400, 131009, 'Parameter value is not valid', `media id ${msg.mediaId} (in ${msg.type}) does not exist for this number, or has expired or been deleted`);
      // Its stored type goes to the network, which fails a file sent as the wrong kind after the 200, as Meta does.
      if (isMediaKind(msg.type)) media = { id: row.id, kind: msg.type, mime: row.mime_type };
    }
    for (const mediaId of msg.mediaIds ?? []) {
      if (!(await liveMedia(deps, channel.id, mediaId))) throw metaError(400, 131009, 'Parameter value is not valid', `media id ${mediaId} (in ${msg.type}) does not exist for this number, or has expired or been deleted`);
    }

    const id = newMessageId(channel, msg.waId);
    const iso = now.toISOString();
    await this.writes.write(
      async (tx) => {
        const toBsuid = msg.userId !== undefined;
        const steps = await network!.accept(deps, tx, {
          id,
          channel,
          waId: msg.waId,
          type: msg.type,
          isTemplate: msg.template !== undefined,
          acceptedAt: now,
          media,
          toBsuid,
          category,
          ...(group ? { group } : {}),
          ...(msg.bizOpaqueCallbackData !== undefined ? { opaque: msg.bizOpaqueCallbackData } : {}),
          ...(msg.type === 'audio' && (msg.content as { voice?: unknown }).voice === true ? { voice: true } : {}),
        });
        await insertMessage(tx, { ...outboundRow(channel, msg, { id, waId: msg.waId, category, at: iso }), plan: storedPlan(steps) });
        scheduleStatusPlan(deps, tx, steps);
      },
      { sandboxUser: [channel.id, msg.waId] },
    );
    return { id, input: msg.input, waId: msg.waId, ...(contact ? { contact } : {}) };
  }

  /**
   * Meta has the templates, flows and the 24-hour window: it checks them. The message is stored
   * only once Meta took it, under Meta's wamid, without a status plan (Meta's webhooks move it).
   */
  private async sendThroughMeta(channel: ChannelRow, msg: NormalizedMessage, category: string, at: string, log?: StoreFailureLog, marketing?: MarketingSend): Promise<SendResult> {
    const sent = await this.meta.send(channel, msg, marketing?.graphFields);
    // Meta has taken the message: it is on its way to the user whatever happens here. If it cannot
    // be stored (the database is down), the client still gets Meta's wamid: an error would make
    // it send again, and the user would get the message twice. What is lost is our row (usage
    // statistics, and the status moves, which Meta's webhooks skip for an unknown id): logged.
    try {
      await this.writes.write(async (tx) => {
        await insertMessage(tx, outboundRow(channel, msg, { id: sent.wamid, waId: sent.waId, category, at }));
      });
    } catch (err) {
      log?.error({ err, wamid: sent.wamid, channel_id: channel.id }, 'message sent through Meta but not stored');
    }
    return { id: sent.wamid, input: msg.input, waId: sent.waId, contact: sent.contact, messageStatus: sent.messageStatus };
  }

  /**
   * Marks an inbound message (and, as WhatsApp does, the ones before it) as read. On Meta's
   * network Meta is told first (its error is the answer); our rows follow, if we have them.
   */
  async markRead(channel: ChannelRow, req: Pick<MarkRead, 'messageId'> & { typingIndicator?: boolean }): Promise<void> {
    if (channel.network === 'meta') {
      await this.meta.markRead(channel, req.messageId, req.typingIndicator === true);
      await this.markStoredRead(channel, req.messageId);
      return;
    }
    const read = await this.markStoredRead(channel, req.messageId);
    if (!read) throw metaError(400, 100, 'Invalid parameter', `message_id: no message ${req.messageId.slice(0, 100)} on this number`);
    // The user sees "typing…" (typing-indicator.ts). Meta's docs name the received message's id;
    // an outbound message's id is taken, as before, without showing anything.
    if (req.typingIndicator === true && read.direction === 'inbound') await startTyping(this.deps, channel.id, read.wa_id, this.deps.clock.now());
  }

  /** Marks our stored inbound rows read up to this message; undefined when it is not stored. */
  private async markStoredRead(channel: ChannelRow, messageId: string): Promise<{ wa_id: string; direction: string } | undefined> {
    const deps = this.deps;
    const msg = await deps.db.kysely
      .selectFrom('messages')
      .select(['id', 'wa_id', 'created_at', 'direction'])
      .where('id', '=', messageId)
      .where('channel_id', '=', channel.id)
      .executeTakeFirst();
    if (!msg) return undefined;
    if (msg.direction !== 'inbound') return msg;
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
    return msg;
  }
}
