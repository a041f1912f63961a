// Clients: the partner's clients, searched, sorted and paged by the Partner API's own list
// logic (listClients: `filters` matched by equality, `sort`, `limit`/`offset`).
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { listClients } from '../../services/clients.ts';
import { fmtTime, listForm, hubOf, hubPage, pager, partnerPath, PAGE_SIZES } from './context.ts';

export const CLIENT_SORTS = [
  { value: '-created_at', label: 'Newest first' },
  { value: 'created_at', label: 'Oldest first' },
  { value: 'name', label: 'Name A–Z' },
  { value: '-name', label: 'Name Z–A' },
];

export const clientPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/clients', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const q = request.query;
    const { form, query, keep } = listForm(q, {
      name: { max: 200, filter: 'q' },
      email: { max: 320, filter: 'contact_info.email' },
      status: { max: 50, filter: 'status' },
    });
    const list = await listClients(deps, partnerId, query);
    return hubPage(reply, request, 'hub/clients', {
      title: 'Clients',
      nav: 'clients',
      form: { ...form, limit: String(list.limit) },
      sorts: CLIENT_SORTS,
      sizes: PAGE_SIZES,
      clients: list.clients.map((c) => ({
        id: c.id,
        name: c.name,
        email: c.contact_info.email ?? '',
        status: c.status,
        max_channels: c.max_channels,
        created_at: fmtTime(c.created_at),
        channels: partnerPath(partnerId, `/channels?client_id=${encodeURIComponent(c.id)}`),
      })),
      pager: pager(partnerPath(partnerId, '/clients'), keep, list),
    });
  });
};
