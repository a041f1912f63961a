// Channel state changes that partners hear about: status moves, template messaging on/off,
// cancellation. Each change and its partner event commit in one transaction — the caller's when
// one is passed (a job, the onboarding flow), else a new one.
import type { Transaction } from 'kysely';
import { isoNow } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { channelStatusEvent, emitPartnerEvent, inTransaction } from '../webhooks/partner-events.ts';
import { availabilityFor, hydrateChannels, type ChannelRow, type ChannelWire } from './channels.ts';

/** The job that makes an onboarded sandbox channel ready after the setup delay (web/onboarding/setup.ts runs it). */
export const ONBOARDING_SETUP_JOB = 'onboarding_channel_ready';

/** Statuses of the reference's channel lifecycle (360dialog's enum is longer; these are ours). */
export const CHANNEL_STATUSES = ['created', 'submitted', 'ready', 'running', 'live', 'error', 'terminated'] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];

/**
 * The channel, held for the change (PostgreSQL: FOR UPDATE), so that two changes at once take turns
 * and the second sees the first's status: each move is made, and its partner event written, once.
 * (SQLite's write transactions already take turns.)
 */
async function loadChannel(deps: Deps, tx: Transaction<Database>, channelId: string, partnerId?: string): Promise<ChannelRow> {
  let q = tx.selectFrom('channels').selectAll().where('id', '=', channelId);
  if (partnerId) q = q.where('partner_id', '=', partnerId);
  if (deps.db.kind === 'postgres') q = q.forUpdate();
  const ch = await q.executeTakeFirst();
  if (!ch) throw notFound(`Channel ${channelId} not found`);
  return ch;
}

async function wireOf(deps: Deps, row: ChannelRow, tx: Transaction<Database>): Promise<ChannelWire> {
  const [w] = await hydrateChannels(deps, [row], tx);
  return w!;
}

/** Moves a channel to a status; emits channel_submitted / _ready / _running / _live. */
export function setChannelStatus(
  deps: Deps,
  channelId: string,
  status: ChannelStatus,
  opts: { partnerId?: string; tx?: Executor } = {},
): Promise<ChannelWire> {
  return inTransaction(deps, opts.tx ?? deps.db.kysely, async (tx) => {
    const ch = await loadChannel(deps, tx, channelId, opts.partnerId);
    if (ch.terminated_at) throw new ApiError(400, `Channel ${channelId} is terminated`);
    if (ch.status === status) return wireOf(deps, ch, tx);
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
    const wire = await wireOf(deps, updated, tx);
    const event = channelStatusEvent(status);
    if (event) await emitPartnerEvent(deps, tx, ch.partner_id, event, wire);
    return wire;
  });
}

/** Allows or forbids template messages on a channel; emits template_messaging_enabled/_disabled. */
export function setTemplateMessaging(deps: Deps, channelId: string, enabled: boolean): Promise<ChannelWire> {
  return inTransaction(deps, deps.db.kysely, async (tx) => {
    const ch = await loadChannel(deps, tx, channelId);
    const want = enabled ? 1 : 0;
    if (ch.template_messaging === want) return wireOf(deps, ch, tx);
    const now = isoNow(deps.clock);
    await tx.updateTable('channels').set({ template_messaging: want, modified_at: now }).where('id', '=', ch.id).execute();
    const wire = await wireOf(deps, { ...ch, template_messaging: want, modified_at: now }, tx);
    await emitPartnerEvent(deps, tx, ch.partner_id, enabled ? 'template_messaging_enabled' : 'template_messaging_disabled', wire);
    return wire;
  });
}

/**
 * Requests (enabled) or revokes a channel's cancellation, as a partner does through the
 * control endpoint; emits cancellation_request / cancellation_revoke when it changes.
 */
export function setCancellationRequest(
  deps: Deps,
  partnerId: string,
  clientId: string,
  channelId: string,
  enabled: boolean,
  outer: Executor = deps.db.kysely,
): Promise<ChannelWire> {
  return inTransaction(deps, outer, async (tx) => {
    const ch = await loadChannel(deps, tx, channelId, partnerId);
    if (ch.client_id !== clientId) throw notFound(`Channel ${channelId} not found for client ${clientId}`);
    if (ch.terminated_at) throw new ApiError(400, `Channel ${channelId} is already terminated`);
    // The client's withdrawal (withdrawChannel) is the client's to undo, not the partner's: a 403,
    // as 360dialog answers a partner acting on a channel it has no permission for.
    if (!enabled && ch.access_withdrawn_at) throw withdrawnError(partnerId, channelId);
    const requested = ch.cancellation_requested_at !== null;
    if (requested === enabled) return wireOf(deps, ch, tx);
    const now = isoNow(deps.clock);
    const cancellation_requested_at = enabled ? now : null;
    await tx.updateTable('channels').set({ cancellation_requested_at, modified_at: now }).where('id', '=', channelId).execute();
    const wire = await wireOf(deps, { ...ch, cancellation_requested_at, modified_at: now }, tx);
    await emitPartnerEvent(deps, tx, partnerId, enabled ? 'cancellation_request' : 'cancellation_revoke', wire);
    return wire;
  });
}

/**
 * The partner's answer for a channel its client withdrew: 403, 360dialog's "Permission denied for
 * partner x" (reference §1.5, the documented Partner API 403). The reference does not show what
 * 360dialog answers for a revoked channel; the channel exists and is the partner's, so neither 404
 * nor 400 ("Wrong payload") fits, and a partner without the client's permission on a channel is
 * exactly what the documented 403 is for. Clients treat any 4xx as a refusal.
 */
export function withdrawnError(partnerId: string, channelId: string): ApiError {
  return new ApiError(403, `Permission denied for partner ${partnerId}: the client withdrew access to channel ${channelId}`);
}

/**
 * The client withdraws the partner's access to a channel (Integrated Onboarding, the redirect's
 * `revoked=[…]`): a pending cancellation as the partner sees it (cancellation_request, once), and
 * from now on no new key for the partner, no Messaging API for the channel's keys, and no revoking
 * of the cancellation by the partner. Asking again changes nothing.
 */
export function withdrawChannel(deps: Deps, partnerId: string, clientId: string, channelId: string, outer: Executor = deps.db.kysely): Promise<ChannelWire> {
  return inTransaction(deps, outer, async (tx) => {
    const ch = await loadChannel(deps, tx, channelId, partnerId);
    if (ch.client_id !== clientId) throw notFound(`Channel ${channelId} not found for client ${clientId}`);
    if (ch.terminated_at) throw new ApiError(400, `Channel ${channelId} is already terminated`);
    if (ch.access_withdrawn_at && ch.cancellation_requested_at) return wireOf(deps, ch, tx);
    const now = isoNow(deps.clock);
    const updated: ChannelRow = { ...ch, access_withdrawn_at: ch.access_withdrawn_at ?? now, cancellation_requested_at: ch.cancellation_requested_at ?? now, modified_at: now };
    await tx
      .updateTable('channels')
      .set({ access_withdrawn_at: updated.access_withdrawn_at, cancellation_requested_at: updated.cancellation_requested_at, modified_at: now })
      .where('id', '=', channelId)
      .execute();
    const wire = await wireOf(deps, updated, tx);
    // The partner hears of it as of a cancellation, unless it had asked for one already.
    if (ch.cancellation_requested_at === null) await emitPartnerEvent(deps, tx, partnerId, 'cancellation_request', wire);
    return wire;
  });
}
