// Partner change requests in the Hub: the receiving partner's "notification in the dashboard"
// (360dialog's docs): requests to this partner, newest first, with an Approve button on pending
// ones, and the auto-approve switch. The same services as the Partner API's routes.
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { approvePartnerChangeRequest, getPcrSettings, listPartnerChangeRequests, setPcrSettings } from '../../services/partner-change-requests.ts';
import { field, fmtTime, formAddress, hubOf, hubPage, pager, partnerPath } from './context.ts';

const PAGE = '/partner-change-requests';

export const partnerChangePages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get(PAGE, { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const q = request.query as Record<string, unknown>;
    const offset = field(q, 'offset', 12);
    const list = await listPartnerChangeRequests(deps, partnerId, { limit: '50', ...(offset ? { offset } : {}) });
    const done = field(q, 'approved', 100);
    const outcome = done ? list.partner_change_requests.find((r) => r.id === done) : undefined;
    return hubPage(reply, request, 'hub/partner-changes', {
      title: 'Partner change requests',
      nav: 'partner-changes',
      notice: q.auto === '1' ? 'Settings saved.' : outcome?.status === 'completed' ? `Request ${outcome.id} approved: the client and its numbers are now yours.` : undefined,
      problem: outcome?.status === 'failed' ? `Request ${outcome.id} could not be carried out: ${outcome.failure_reason ?? 'unknown reason'}` : undefined,
      autoApprove: (await getPcrSettings(deps, partnerId)).auto_approve,
      requests: list.partner_change_requests.map((r) => ({
        id: r.id,
        status: r.status,
        kind: r.is_full_migration ? 'whole client' : `${r.channel_ids.length} number${r.channel_ids.length === 1 ? '' : 's'}`,
        client_id: r.client_id,
        new_client_id: r.new_client_id,
        old_partner_id: r.old_partner_id,
        channels: r.channel_ids.join(', '),
        created_at: fmtTime(r.created_at),
        completed_at: fmtTime(r.completed_at),
      })),
      pager: pager(partnerPath(partnerId, PAGE), {}, list),
    });
  });

  app.post(`${PAGE}/:pcr_id/approve`, { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    const { pcr_id } = request.params as { pcr_id: string };
    const row = await approvePartnerChangeRequest(deps, hub.partnerId, pcr_id.slice(0, 64), { user_id: hub.session.subject.userId, user_name: hub.username });
    return reply.redirect(partnerPath(hub.partnerId, `${PAGE}?approved=${encodeURIComponent(row.id)}`), 303);
  });
  formAddress(app, `${PAGE}/:pcr_id/approve`, (request) => partnerPath(hubOf(request).partnerId, PAGE));

  app.post(`${PAGE}/settings`, { schema: { hide: true } }, async (request, reply) => {
    const hub = hubOf(request);
    // A checkbox: present ("on") when ticked, absent when not.
    await setPcrSettings(deps, hub.partnerId, field(request.body, 'auto_approve', 10) !== undefined);
    return reply.redirect(partnerPath(hub.partnerId, `${PAGE}?auto=1`), 303);
  });
  formAddress(app, `${PAGE}/settings`, (request) => partnerPath(hubOf(request).partnerId, PAGE));
};
