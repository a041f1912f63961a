// Channels: one phone number each, on a network (the built-in sandbox or Meta's Cloud API).
import type { Selectable } from 'kysely';
import { isoNow, wireTime } from '../clock.ts';
import type { ChannelsTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { digits, hubId } from '../ids.ts';
import { channelStatusEvent, emitPartnerEvent, inTransaction } from '../webhooks/partner-events.ts';
import {
  listQueries,
  runList,
  type ListEnvelope,
  type ListQueryInput,
  type FieldType,
  type ListSpec,
} from '../partner-api/list-query.ts';
import { SYSTEM_ACTOR, type Actor, type ClientRow } from './clients.ts';
import { createWabaAccount, findWabaForClient, wabaAccountToWire, type WabaAccountRow } from './waba-accounts.ts';
import { activeRestrictions } from '../messaging/waba-restrictions.ts';

export type ChannelRow = Selectable<ChannelsTable>;
export type ChannelNetwork = 'sandbox' | 'meta';
export type HostingType = 'cloud' | 'onpremise';

/**
 * availability_status follows from status: the seeds' ready / setting_up / error (seed 001's
 * "Channel Statuses" table; reference §1.4, `availability_status: ready|setting_up|error`).
 * setting_up is "in the final stages of the onboarding or migration process"; error is "a
 * non-operational state ... not in the process of being set up", which is what a terminated
 * (cancelled) channel is, so terminated is error, not setting_up.
 */
export function availabilityFor(status: string): 'ready' | 'setting_up' | 'error' {
  if (status === 'error' || status === 'certificate_declined' || status === 'terminated') return 'error';
  if (['ready', 'running', 'live'].includes(status)) return 'ready';
  return 'setting_up';
}

/** `nowMs`: the time the WABA's restrictions (ch.waba_restrictions) are read at; without it none show. A ban (ch.waba_banned_at) always shows. */
export function channelToWire(ch: ChannelRow, client: ClientRow, waba: WabaAccountRow, nowMs?: number) {
  const b = (v: number) => v === 1;
  return {
    id: ch.id,
    client_id: ch.client_id,
    partner_id: ch.partner_id,
    external_id: ch.external_id,
    account_mode: ch.account_mode,
    status: ch.status,
    availability_status: ch.availability_status as 'ready' | 'setting_up' | 'error',
    meta_status: ch.meta_status,
    type: ch.type,
    version: ch.version,
    is_migrated: b(ch.is_migrated),
    // The reference notes the hosting type is readable from a channel but not its field name.
    // We name it as the best guess does; `network` tells where the number really sits.
    hosting_platform_type: ch.hosting_type === 'onpremise' ? 'on_premise' : 'cloud_api',
    network: ch.network,
    current_limit: ch.current_limit,
    current_quality_rating: ch.current_quality_rating,
    created_at: wireTime(ch.created_at),
    modified_at: wireTime(ch.modified_at),
    billing_started_at: wireTime(ch.billing_started_at),
    terminated_at: wireTime(ch.terminated_at),
    cancellation_requested_at: wireTime(ch.cancellation_requested_at),
    client: {
      id: client.id,
      name: client.name,
      partner_payload: client.partner_payload,
      status: client.status,
      contact_info: { email: client.contact_email, phone: client.contact_phone, full_name: client.contact_full_name },
    },
    setup_info: {
      phone_number: ch.phone_number,
      phone_name: ch.phone_name,
      was_in_use: b(ch.was_in_use),
      ivr: b(ch.ivr),
      verification_method: ch.verification_method,
      certificate: null,
      new_name_status: null,
      default_language: ch.default_language,
      has_integration_layer: true,
      error: null,
      configuration_type: ch.hosting_type === 'onpremise' ? 'on_premise' : 'cloud_api',
      region: null,
      shards_number: 1,
    },
    profile_info: {
      about_text: ch.profile_about_text,
      business_vertical: ch.profile_business_vertical,
      business_description: ch.profile_business_description,
      contact_email: ch.profile_contact_email,
    },
    waba_account: wabaAccountToWire(waba, nowMs === undefined ? [] : activeRestrictions(ch.waba_restrictions, nowMs), ch.waba_banned_at),
    waba_account_id: ch.waba_account_id,
    integration: { enabled: true, app_id: ch.app_id, state: ch.availability_status === 'ready' ? 'running' : 'pending' },
    project: null,
    has_inbox: false,
    is_oba: false,
    template_messaging_enabled: ch.template_messaging === 1,
  };
}
export type ChannelWire = ReturnType<typeof channelToWire>;

const col = (c: string, type: FieldType = 'string') => ({ column: c, type });
export const CHANNEL_LIST: ListSpec = {
  collection: 'partner_channels',
  fields: {
    id: col('channels.id'),
    client_id: col('channels.client_id'),
    external_id: col('channels.external_id'),
    status: col('channels.status'),
    availability_status: col('channels.availability_status'),
    meta_status: col('channels.meta_status'),
    type: col('channels.type'),
    version: col('channels.version'),
    is_migrated: col('channels.is_migrated', 'boolean'),
    account_mode: col('channels.account_mode'),
    network: col('channels.network'),
    terminated_at: col('channels.terminated_at', 'time'),
    current_limit: col('channels.current_limit'),
    current_quality_rating: col('channels.current_quality_rating'),
    created_at: col('channels.created_at', 'time'),
    modified_at: col('channels.modified_at', 'time'),
    billing_started_at: col('channels.billing_started_at', 'time'),
    waba_account_id: col('channels.waba_account_id'),
    'setup_info.phone_number': col('channels.phone_number'),
    'setup_info.phone_name': col('channels.phone_name'),
    'setup_info.was_in_use': col('channels.was_in_use', 'boolean'),
    'setup_info.ivr': col('channels.ivr', 'boolean'),
    'setup_info.verification_method': col('channels.verification_method'),
    'setup_info.default_language': col('channels.default_language'),
    'profile_info.about_text': col('channels.profile_about_text'),
    'profile_info.business_vertical': col('channels.profile_business_vertical'),
    'profile_info.business_description': col('channels.profile_business_description'),
    'profile_info.contact_email': col('channels.profile_contact_email'),
    'client.id': col('channels.client_id'),
    'client.name': col('clients.name'),
    'client.partner_payload': col('clients.partner_payload'),
    'client.status': col('clients.status'),
    'client.contact_info.email': col('clients.contact_email'),
    'waba_account.id': col('channels.waba_account_id'),
    'waba_account.external_id': col('waba_accounts.external_id'),
    'waba_account.name': col('waba_accounts.name'),
    'waba_account.namespace': col('waba_accounts.namespace'),
    'waba_account.status': col('waba_accounts.status'),
    'waba_account.fb_account_status': col('waba_accounts.fb_account_status'),
    'integration.app_id': col('channels.app_id'),
    // The reference lists project.{id,name,license_model,inbox,…} among the channel filters and
    // sort keys; channels here belong to no project (the object shows project: null).
    'project.id': { column: null, type: 'string' },
    'project.name': { column: null, type: 'string' },
    'project.license_model': { column: null, type: 'string' },
    'project.inbox': { column: null, type: 'string' },
  },
  tieBreaker: 'channels.id',
  defaultSort: ['created_at'],
  defaultLimit: 1000,
  maxLimit: 1000,
  search: ['channels.id', 'channels.phone_number', 'channels.phone_name', 'clients.name'],
};

export interface NewChannel {
  partnerId: string;
  clientId: string;
  phoneNumber: string;
  phoneName: string;
  network?: ChannelNetwork;
  hostingType?: HostingType;
  status?: string;
  /** Use this WABA account; by default the client's first, created when it has none. */
  wabaAccountId?: string;
  externalId?: string;
}

export async function createChannel(
  deps: Deps,
  input: NewChannel,
  actor: Actor = SYSTEM_ACTOR,
  outer: Executor = deps.db.kysely,
): Promise<ChannelRow> {
  // Everything — the WABA account (and its default template) when one is created, the channel,
  // and their partner events — commits together.
  return inTransaction(deps, outer, (tx) => insertChannel(deps, input, actor, tx));
}

async function insertChannel(deps: Deps, input: NewChannel, actor: Actor, tx: Executor): Promise<ChannelRow> {
  // Termination ends a channel's life (setChannelStatus stamps terminated_at and raises
  // cancellation_processed): a channel is created first, then terminated, never born terminated.
  if (input.status === 'terminated') throw new ApiError(400, 'A new channel cannot be terminated: create it, then move its status to terminated');
  const now = isoNow(deps.clock);
  const client = await tx.selectFrom('clients').selectAll().where('id', '=', input.clientId).where('partner_id', '=', input.partnerId).executeTakeFirst();
  if (!client) throw notFound(`Client ${input.clientId} not found`);
  let waba: WabaAccountRow | undefined;
  if (input.wabaAccountId) {
    waba = await tx.selectFrom('waba_accounts').selectAll().where('id', '=', input.wabaAccountId).where('client_id', '=', client.id).executeTakeFirst();
    if (!waba) throw notFound(`WABA account ${input.wabaAccountId} not found`);
  } else {
    waba = (await findWabaForClient(deps, client.id, tx)) ?? (await createWabaAccount(deps, { partnerId: input.partnerId, clientId: client.id, name: client.name }, actor, tx));
  }
  const network = input.network ?? 'sandbox';
  // A WABA's restrictions and ban (account_update) are on each of its numbers: a new number gets them too.
  const restricted = await tx
    .selectFrom('channels')
    .select(['waba_restrictions', 'waba_banned_at'])
    .where('waba_account_id', '=', waba.id)
    .where((eb) => eb.or([eb('waba_restrictions', 'is not', null), eb('waba_banned_at', 'is not', null)]))
    .limit(1)
    .executeTakeFirst();
  const status = input.status ?? 'ready';
  if (!/^\d{6,15}$/.test(input.phoneNumber)) {
    throw new ApiError(400, `phone_number must be 6 to 15 digits without "+", got "${input.phoneNumber}"`);
  }
  const row: ChannelRow = {
    id: hubId('channel'),
    partner_id: input.partnerId,
    client_id: client.id,
    waba_account_id: waba.id,
    external_id: input.externalId ?? digits(15),
    network,
    hosting_type: input.hostingType ?? 'cloud',
    account_mode: network === 'sandbox' ? 'sandbox' : 'live',
    status,
    availability_status: availabilityFor(status),
    meta_status: availabilityFor(status) === 'ready' ? 'CONNECTED' : 'PENDING',
    type: 'whatsapp',
    version: '2',
    is_migrated: 0,
    current_limit: 'TIER_1K',
    current_quality_rating: 'GREEN',
    phone_number: input.phoneNumber,
    phone_name: input.phoneName,
    was_in_use: 0,
    ivr: 0,
    verification_method: 'sms',
    default_language: 'en',
    profile_about_text: null,
    profile_business_vertical: null,
    profile_business_description: null,
    profile_contact_email: null,
    app_id: digits(6),
    cancellation_requested_at: null,
    terminated_at: null,
    billing_started_at: availabilityFor(status) === 'ready' ? now : null,
    created_at: now,
    modified_at: now,
    template_messaging: 1,
    webhook_url: null,
    webhook_headers: null,
    profile_address: null,
    profile_websites: null,
    profile_picture_url: null,
    throughput_mps: null,
    profile_photo_media_id: null,
    access_withdrawn_at: null,
    waba_restrictions: restricted?.waba_restrictions ?? null,
    waba_banned_at: restricted?.waba_banned_at ?? null,
    blocked_user_count: 0,
    ctwa_enabled: 0,
  };
  await tx.insertInto('channels').values(row).execute();
  const wire = channelToWire(row, client, waba);
  await emitPartnerEvent(deps, tx, input.partnerId, 'channel_created', wire);
  const statusEvent = channelStatusEvent(status);
  if (statusEvent) await emitPartnerEvent(deps, tx, input.partnerId, statusEvent, wire);
  return row;
}

export async function findChannel(deps: Deps, partnerId: string, channelId: string): Promise<ChannelRow | undefined> {
  return deps.db.kysely
    .selectFrom('channels')
    .selectAll()
    .where('id', '=', channelId)
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
}

/** A channel of this partner, or 404 (another partner's channel is "not found" too). */
export async function getChannel(deps: Deps, partnerId: string, channelId: string): Promise<ChannelRow> {
  const ch = await findChannel(deps, partnerId, channelId);
  if (!ch) throw notFound(`Channel ${channelId} not found`);
  return ch;
}

/** Channel rows → wire objects, loading their clients and WABA accounts in two queries. */
export async function hydrateChannels(deps: Deps, rows: ChannelRow[], ex: Executor = deps.db.kysely): Promise<ChannelWire[]> {
  if (rows.length === 0) return [];
  const clientIds = [...new Set(rows.map((r) => r.client_id))];
  const wabaIds = [...new Set(rows.map((r) => r.waba_account_id))];
  const clients = await ex.selectFrom('clients').selectAll().where('id', 'in', clientIds).execute();
  const wabas = await ex.selectFrom('waba_accounts').selectAll().where('id', 'in', wabaIds).execute();
  const cById = new Map(clients.map((c) => [c.id, c]));
  const wById = new Map(wabas.map((w) => [w.id, w]));
  const nowMs = deps.clock.now().getTime();
  return rows.map((r) => channelToWire(r, cById.get(r.client_id)!, wById.get(r.waba_account_id)!, nowMs));
}

export async function getChannelWire(deps: Deps, partnerId: string, channelId: string): Promise<ChannelWire> {
  const [wire] = await hydrateChannels(deps, [await getChannel(deps, partnerId, channelId)]);
  return wire!;
}

/**
 * The two queries of the channel list (one page of rows, and the total), built but not run:
 * listChannels runs them, and tests read their plans to check the filters use an index.
 */
export function channelListQueries(deps: Deps, partnerId: string, query: ListQueryInput) {
  const base = deps.db.kysely
    .selectFrom('channels')
    .innerJoin('clients', 'clients.id', 'channels.client_id')
    .innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .where('channels.partner_id', '=', partnerId);
  return listQueries(base, query, CHANNEL_LIST, (q) => q.selectAll('channels'));
}

export async function listChannels(
  deps: Deps,
  partnerId: string,
  query: ListQueryInput,
): Promise<ListEnvelope & { partner_channels: ChannelWire[] }> {
  const { envelope, rows } = await runList(channelListQueries(deps, partnerId, query));
  return { ...envelope, partner_channels: await hydrateChannels(deps, rows) };
}

/** Is this number already connected to one of the partner's channels? */
export async function numberInUse(deps: Deps, partnerId: string, phoneNumber: string, tx: Executor = deps.db.kysely): Promise<boolean> {
  const row = await tx
    .selectFrom('channels')
    .select('id')
    .where('partner_id', '=', partnerId)
    .where('phone_number', '=', phoneNumber)
    .where('terminated_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}
