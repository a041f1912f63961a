// Clients: the partner's clients, searched, sorted and paged by the Partner API's own list
// logic (listClients: `filters` matched by equality, `sort`, `limit`/`offset`).
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { listClients } from '../../services/clients.ts';
import { field, fmtTime, hubOf, hubPage, pager, partnerPath, PAGE_SIZES } from './context.ts';

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
    const form = {
      name: field(q, 'name', 200)?.trim() ?? '',
      email: field(q, 'email', 320)?.trim() ?? '',
      status: field(q, 'status', 50)?.trim() ?? '',
      sort: field(q, 'sort', 100) ?? '-created_at',
      limit: field(q, 'limit', 10) || '25',
      offset: field(q, 'offset', 20) || '0',
    };
    const filters: Record<string, string> = {};
    if (form.name) filters.q = form.name;
    if (form.email) filters['contact_info.email'] = form.email;
    if (form.status) filters.status = form.status;
    const list = await listClients(deps, partnerId, { limit: form.limit, offset: form.offset, sort: form.sort, filters: JSON.stringify(filters) });
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
      pager: pager(partnerPath(partnerId, '/clients'), { name: form.name, email: form.email, status: form.status, sort: form.sort }, list),
    });
  });
};
