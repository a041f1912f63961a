// Channels: the list (free-text `q`, status, availability, client; the Partner API's list
// logic), one channel with its webhook, keys and recent messages, and "Generate API key".
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { getChannel, hydrateChannels, listChannels } from '../../services/channels.ts';
import { CHANNEL_STATUSES } from '../../services/channel-lifecycle.ts';
import { createChannelApiKey, listChannelApiKeys } from '../../services/channel-api-keys.ts';
import { putFlash, takeFlash } from '../sessions.ts';
import { field, fmtTime, listForm, formAddress, hubOf, hubPage, pager, partnerPath, PAGE_SIZES } from './context.ts';
import { recentMessages } from './messages.ts';
import { channelGroups, recentCalls } from '../../messaging/channel-activity.ts';
import { businessView, userFacts } from '../user-view.ts';
import { appSecretStatus } from '../../messaging/webhook-app-secret.ts';
import { obaField, readObaRequest } from '../../messaging/official-business-account.ts';
import { readNameRequest } from '../../messaging/phone-number-update.ts';
import { listConfigurations } from '../../messaging/payments/configurations.ts';

const CALL_DIRECTIONS: Record<string, string> = { BUSINESS_INITIATED: '→ out', USER_INITIATED: '← in' };

const SORTS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'setup_info.phone_number', label: 'Phone number' },
  { value: 'status', label: 'Status' },
];

/** The flash that carries a new channel key from the POST to the channel page it redirects to. */
const flashName = (keyId: string) => `channel-key:${keyId}`;

const channelPath = (partnerId: string, channelId: string) => partnerPath(partnerId, `/channels/${encodeURIComponent(channelId)}`);

/** `newKeyId`: the key "Generate API key" just made (its secret is shown this once). */
async function showChannel(deps: Deps, request: FastifyRequest, reply: FastifyReply, channelId: string, newKeyId?: string) {
  const { partnerId, session } = hubOf(request);
  const row = await getChannel(deps, partnerId, channelId);
  // The number's settings, each read by this channel's id (its WABA's, for payment configurations).
  // A number on Meta's network keeps its OBA, display name and payment configurations at Meta:
  // those are not read here (the local tables say nothing about them); its webhooks are signed by us.
  const sandbox = row.network !== 'meta';
  const [[wire], keys, messages, calls, groups, meta, appSecret, oba, nameRequest, payments] = await Promise.all([
    hydrateChannels(deps, [row]),
    listChannelApiKeys(deps, row),
    recentMessages(deps, partnerId, row, 20),
    recentCalls(deps.db.kysely, row.id, 20),
    channelGroups(deps.db.kysely, row.id, 100),
    // A number on Meta's network: its ids at Meta (never its token).
    row.network === 'meta' ? deps.db.kysely.selectFrom('meta_channels').select(['phone_number_id', 'waba_id']).where('channel_id', '=', row.id).executeTakeFirst() : undefined,
    // Whether and since when the webhooks are signed: never the secret itself.
    appSecretStatus(deps, row.id),
    sandbox ? readObaRequest(deps.db.kysely, row.id) : undefined,
    sandbox ? readNameRequest(deps.db.kysely, row.id) : undefined,
    sandbox && row.waba_account_id ? listConfigurations(deps, row.waba_account_id) : [],
  ]);
  const ch = wire!;
  // The caller named as the business sees them (the number hidden when the user hides it), as on messages.
  const callers = await userFacts(deps, row.id, calls.map((c) => c.wa_id));
  // Only while that key is still the channel's: a replaced key's secret is of no use.
  const newKey = newKeyId !== undefined ? keys.find((k) => k.id === newKeyId) : undefined;
  const secret = newKey && (await takeFlash<{ api_key: string }>(deps, request, session, flashName(newKey.id)));
  return hubPage(reply, request, 'hub/channel', {
    title: `Channel ${ch.setup_info.phone_number}`,
    nav: 'channels',
    ch: {
      id: ch.id,
      status: ch.status,
      availability: ch.availability_status,
      phone_number: ch.setup_info.phone_number,
      phone_name: ch.setup_info.phone_name,
      network: ch.network,
      hosting: ch.hosting_platform_type,
      meta,
      client: ch.client,
      waba: ch.waba_account,
      webhook_url: row.webhook_url,
      terminated: row.terminated_at !== null,
      created_at: fmtTime(row.created_at),
    },
    keys: keys.map((k) => ({ ...k, created_at: fmtTime(k.created_at), last_used_at: fmtTime(k.last_used_at) })),
    created: newKey && secret ? { api_key: secret.api_key, address: newKey.address } : undefined,
    notice: newKey && !secret ? 'The new key was shown once, when it was generated, and cannot be shown again. If it was not copied, generate another.' : undefined,
    messages: messages.map((m) => ({ ...m, created_at: fmtTime(m.created_at) })),
    calls: calls.map(({ wa_id, ...c }) => ({ ...c, direction: CALL_DIRECTIONS[c.direction], user: businessView(deps, row, wa_id, callers.get(wa_id)), created_at: fmtTime(c.created_at) })),
    groups,
    settings: {
      sandbox,
      signed_since: appSecret.enabled ? fmtTime(appSecret.modified_at) : null,
      oba: obaField(oba),
      name_request: nameRequest ? { new_display_name: nameRequest.new_display_name, status: nameRequest.status, requested_at: fmtTime(nameRequest.requested_at) } : undefined,
      // Name, provider and status only (the rows also hold link token hashes and merchant ids).
      payments: payments.map((c) => ({ configuration_name: c.configuration_name, provider_name: c.provider_name, status: c.status })),
    },
  });
}

export const channelPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/channels', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const q = request.query;
    const { form, query, keep } = listForm(q, {
      q: { max: 200, filter: 'q' },
      status: { max: 50, filter: 'status' },
      availability: { max: 50, filter: 'availability_status' },
      client_id: { max: 100, filter: 'client_id' },
    });
    const list = await listChannels(deps, partnerId, query);
    return hubPage(reply, request, 'hub/channels', {
      title: 'Channels',
      nav: 'channels',
      form: { ...form, limit: String(list.limit) },
      sorts: SORTS,
      sizes: PAGE_SIZES,
      statuses: CHANNEL_STATUSES,
      availabilities: ['ready', 'setting_up', 'error'],
      channels: list.partner_channels.map((c) => ({
        id: c.id,
        href: channelPath(partnerId, c.id),
        phone_number: c.setup_info.phone_number,
        phone_name: c.setup_info.phone_name,
        status: c.status,
        availability: c.availability_status,
        client: c.client.name,
        network: c.network,
        created_at: fmtTime(c.created_at),
      })),
      pager: pager(partnerPath(partnerId, '/channels'), keep, list),
    });
  });

  app.get('/channels/:channel_id', { schema: { hide: true } }, async (request, reply) => {
    return showChannel(deps, request, reply, (request.params as { channel_id: string }).channel_id, field(request.query, 'new_key', 100));
  });

  // As POST …/channels/{chid}/api_keys: a new key, the previous one revoked, shown once on the
  // channel page it redirects to.
  app.post('/channels/:channel_id/api-key', { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const channel = await getChannel(deps, hub.partnerId, (request.params as { channel_id: string }).channel_id);
    const created = await createChannelApiKey(deps, channel);
    await putFlash(deps, request, hub.session, flashName(created.id), { api_key: created.api_key });
    return reply.redirect(`${channelPath(hub.partnerId, channel.id)}?new_key=${encodeURIComponent(created.id)}`, 303);
  });
  formAddress(app, '/channels/:channel_id/api-key', (request) => channelPath(hubOf(request).partnerId, (request.params as { channel_id: string }).channel_id));
};
