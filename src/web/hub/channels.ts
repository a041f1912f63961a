// Channels: the list (free-text `q`, status, availability, client; the Partner API's list
// logic), one channel with its webhook, keys and recent messages, and "Generate API key".
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { getChannel, hydrateChannels, listChannels } from '../../services/channels.ts';
import { CHANNEL_STATUSES } from '../../services/channel-lifecycle.ts';
import { createChannelApiKey, listChannelApiKeys, type ChannelApiKeyCreated } from '../../services/channel-api-keys.ts';
import { field, fmtTime, hubOf, hubPage, pager, partnerPath, PAGE_SIZES } from './context.ts';
import { recentMessages } from './messages.ts';

const SORTS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'setup_info.phone_number', label: 'Phone number' },
  { value: 'status', label: 'Status' },
];

async function showChannel(deps: Deps, request: FastifyRequest, reply: FastifyReply, channelId: string, created?: ChannelApiKeyCreated) {
  const { partnerId } = hubOf(request);
  const row = await getChannel(deps, partnerId, channelId);
  const [[wire], keys, messages] = await Promise.all([hydrateChannels(deps, [row]), listChannelApiKeys(deps, row), recentMessages(deps, partnerId, row.id, 20)]);
  const ch = wire!;
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
      client: ch.client,
      waba: ch.waba_account,
      webhook_url: row.webhook_url,
      terminated: row.terminated_at !== null,
      created_at: fmtTime(row.created_at),
    },
    keys: keys.map((k) => ({ ...k, created_at: fmtTime(k.created_at), last_used_at: fmtTime(k.last_used_at) })),
    created,
    messages: messages.map((m) => ({ ...m, created_at: fmtTime(m.created_at) })),
  });
}

export const channelPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/channels', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const q = request.query;
    const form = {
      q: field(q, 'q', 200)?.trim() ?? '',
      status: field(q, 'status', 50) ?? '',
      availability: field(q, 'availability', 50) ?? '',
      client_id: field(q, 'client_id', 100)?.trim() ?? '',
      sort: field(q, 'sort', 100) ?? '-created_at',
      limit: field(q, 'limit', 10) || '25',
      offset: field(q, 'offset', 20) || '0',
    };
    const filters: Record<string, string> = {};
    if (form.q) filters.q = form.q;
    if (form.status) filters.status = form.status;
    if (form.availability) filters.availability_status = form.availability;
    if (form.client_id) filters.client_id = form.client_id;
    const list = await listChannels(deps, partnerId, { limit: form.limit, offset: form.offset, sort: form.sort, filters: JSON.stringify(filters) });
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
        href: partnerPath(partnerId, `/channels/${encodeURIComponent(c.id)}`),
        phone_number: c.setup_info.phone_number,
        phone_name: c.setup_info.phone_name,
        status: c.status,
        availability: c.availability_status,
        client: c.client.name,
        network: c.network,
        created_at: fmtTime(c.created_at),
      })),
      pager: pager(partnerPath(partnerId, '/channels'), { q: form.q, status: form.status, availability: form.availability, client_id: form.client_id, sort: form.sort }, list),
    });
  });

  app.get('/channels/:channel_id', { schema: { hide: true } }, async (request, reply) => {
    return showChannel(deps, request, reply, (request.params as { channel_id: string }).channel_id);
  });

  // As POST …/channels/{chid}/api_keys: a new key, the previous one revoked, shown only here.
  app.post('/channels/:channel_id/api-key', { schema: { hide: true } }, async (request, reply) => {
    const channel = await getChannel(deps, hubOf(request).partnerId, (request.params as { channel_id: string }).channel_id);
    const created = await createChannelApiKey(deps, channel);
    return showChannel(deps, request, reply, channel.id, created);
  });
};
