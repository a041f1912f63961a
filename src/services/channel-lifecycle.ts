// Channel state changes that partners hear about: status moves, template messaging on/off,
// cancellation. Each change and its partner event commit in one transaction.
import { isoNow } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { channelStatusEvent, emitPartnerEvent } from '../webhooks/partner-events.ts';
import { transact } from '../webhooks/outbox.ts';
import { availabilityFor, getChannelWire, hydrateChannels, type ChannelRow, type ChannelWire } from './channels.ts';

/** Statuses of the reference's channel lifecycle (360dialog's enum is longer; these are ours). */
export const CHANNEL_STATUSES = ['created', 'submitted', 'ready', 'running', 'live', 'error', 'terminated'] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];

async function loadChannel(deps: Deps, channelId: string, partnerId?: string): Promise<ChannelRow> {
  let q = deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', channelId);
  if (partnerId) q = q.where('partner_id', '=', partnerId);
  const ch = await q.executeTakeFirst();
  if (!ch) throw notFound(`Channel ${channelId} not found`);
  return ch;
}

async function wireOf(deps: Deps, row: ChannelRow): Promise<ChannelWire> {
  const [w] = await hydrateChannels(deps, [row]);
  return w!;
}

/** Moves a channel to a status; emits channel_submitted / _ready / _running / _live. */
export async function setChannelStatus(deps: Deps, channelId: string, status: ChannelStatus, partnerId?: string): Promise<ChannelWire> {
  const ch = await loadChannel(deps, channelId, partnerId);
  if (ch.terminated_at) throw new ApiError(400, `Channel ${channelId} is terminated`);
  if (ch.status === status) return getChannelWire(deps, ch.partner_id, ch.id);
  const now = isoNow(deps.clock);
  const availability = availabilityFor(status);
  const updated: ChannelRow = {
    ...ch,
    status,
    availability_status: availability,
    meta_status: availability === 'ready' ? 'CONNECTED' : availability === 'error' ? 'DISCONNECTED' : 'PENDING',
    billing_started_at: ch.billing_started_at ?? (availability === 'ready' ? now : null),
    terminated_at: status === 'terminated' ? now : null,
    modified_at: now,
  };
  const wire = await wireOf(deps, updated);
  await transact(deps, async (tx) => {
    await tx
      .updateTable('channels')
      .set({
        status: updated.status,
        availability_status: updated.availability_status,
        meta_status: updated.meta_status,
        billing_started_at: updated.billing_started_at,
        terminated_at: updated.terminated_at,
        modified_at: now,
      })
      .where('id', '=', ch.id)
      .execute();
    const event = channelStatusEvent(status);
    if (event) await emitPartnerEvent(deps, tx, ch.partner_id, event, wire);
  });
  return wire;
}

/** Allows or forbids template messages on a channel; emits template_messaging_enabled/_disabled. */
export async function setTemplateMessaging(deps: Deps, channelId: string, enabled: boolean): Promise<ChannelWire> {
  const ch = await loadChannel(deps, channelId);
  const want = enabled ? 1 : 0;
  if (ch.template_messaging === want) return getChannelWire(deps, ch.partner_id, ch.id);
  const now = isoNow(deps.clock);
  const wire = await wireOf(deps, { ...ch, template_messaging: want, modified_at: now });
  await transact(deps, async (tx) => {
    await tx.updateTable('channels').set({ template_messaging: want, modified_at: now }).where('id', '=', ch.id).execute();
    await emitPartnerEvent(deps, tx, ch.partner_id, enabled ? 'template_messaging_enabled' : 'template_messaging_disabled', wire);
  });
  return wire;
}

/**
 * Requests (enabled) or revokes a channel's cancellation, as a partner does through the
 * control endpoint; emits cancellation_request / cancellation_revoke when it changes.
 */
export async function setCancellationRequest(
  deps: Deps,
  partnerId: string,
  clientId: string,
  channelId: string,
  enabled: boolean,
): Promise<ChannelWire> {
  const ch = await loadChannel(deps, channelId, partnerId);
  if (ch.client_id !== clientId) throw notFound(`Channel ${channelId} not found for client ${clientId}`);
  if (ch.terminated_at) throw new ApiError(400, `Channel ${channelId} is already terminated`);
  const requested = ch.cancellation_requested_at !== null;
  if (requested === enabled) return getChannelWire(deps, partnerId, channelId);
  const now = isoNow(deps.clock);
  const cancellation_requested_at = enabled ? now : null;
  const wire = await wireOf(deps, { ...ch, cancellation_requested_at, modified_at: now });
  await transact(deps, async (tx) => {
    await tx.updateTable('channels').set({ cancellation_requested_at, modified_at: now }).where('id', '=', channelId).execute();
    await emitPartnerEvent(deps, tx, partnerId, enabled ? 'cancellation_request' : 'cancellation_revoke', wire);
  });
  return wire;
}
