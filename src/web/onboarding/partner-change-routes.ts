// The client's own "Change partner" page (360dialog's Client Hub: Profile > Partner > Change
// Partner — the destination partner's id, then the numbers to move, then submit; the client then
// sees the request's status in its panel). Here it is for a client's onboarding users, logged in on
// their partner's onboarding pages: /dashboard/app/{pid}/partner-change.
//
// GET shows the client's numbers, the form (the new partner's id; all numbers, or the ones ticked)
// and the client's requests with their status; a pending one can be withdrawn. Plain forms with the
// session's CSRF token, as every onboarding form: no script needed. Everything is scoped to the
// logged-in user's own client: another client's request is "not found", whatever its id.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { getClient, type Actor, type ClientRow } from '../../services/clients.ts';
import {
  cancelPartnerChangeRequest,
  clientPartnerChangeRequests,
  MAX_PCR_CHANNELS,
  requestPartnerChange,
  type PcrRow,
} from '../../services/partner-change-requests.ts';
import { findPartner, type PartnerRow } from '../../services/partners.ts';
import { renderPage } from '../render.ts';
import { currentSession, partnerFromPath, postContext } from './context.ts';
import { base, type OnboardingSession } from './pages.ts';
import { clientChannels } from './setup.ts';
import { findOnboardingUser, type OnboardingUser } from './users.ts';

const ID = /^[A-Za-z0-9]{1,64}$/;

interface Who {
  partner: PartnerRow;
  s: OnboardingSession;
  user: OnboardingUser;
  client: ClientRow;
}

interface PageExtras {
  error?: string;
  notice?: string;
  values?: { new_partner_id?: string; scope?: string; channel_ids?: string[] };
}

/** Every value of a form field (a ticked checkbox list comes as an array), strings only, at most `max`. */
function allValues(body: unknown, name: string, max: number): string[] {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is string => typeof x === 'string').slice(0, max);
}

export const partnerChangeRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const PAGE = '/dashboard/app/:partner_id/partner-change';
  const opts = { schema: { hide: true } };
  const pageOf = (partnerId: string) => `${base(partnerId)}/partner-change`;

  /**
   * Where the session's user is now, when not with this partner: a full partner change took the
   * user (and the client) to another partner. Only the session's own user id is looked up.
   */
  async function movedTo(userId: string): Promise<{ partner: PartnerRow; email: string } | undefined> {
    const row = await deps.db.kysely.selectFrom('onboarding_users').select(['partner_id', 'email']).where('id', '=', userId).executeTakeFirst();
    const partner = row ? await findPartner(deps, row.partner_id) : undefined;
    return row && partner ? { partner, email: row.email } : undefined;
  }

  /** The page telling a moved user where to log in now. */
  function renderMoved(reply: FastifyReply, s: OnboardingSession, from: PartnerRow, to: PartnerRow, email: string) {
    const login = `${base(to.id)}?next=login&email=${encodeURIComponent(email)}`;
    return renderPage(reply, 'onboarding/partner-change-moved', {
      title: `Your numbers moved · ${to.brand_name}`,
      brand: from.brand_name,
      steps: [],
      base: base(from.id),
      csrf: s.csrfToken,
      to: { id: to.id, brand: to.brand_name },
      login,
    });
  }

  /** The logged-in user of this partner with its client; or the answer to send instead (login, moved). */
  async function who(reply: FastifyReply, s: OnboardingSession | undefined, partner: PartnerRow): Promise<Who | FastifyReply> {
    if (!s?.subject.userId) return reply.redirect(`${base(partner.id)}/onboarding?form=login`, 303);
    const user = await findOnboardingUser(deps, partner.id, s.subject.userId);
    if (!user) {
      const moved = await movedTo(s.subject.userId);
      if (moved && moved.partner.id !== partner.id) return renderMoved(reply, s, partner, moved.partner, moved.email);
      throw new ApiError(409, 'Your account is gone: open the link again');
    }
    if (!user.client_id) throw new ApiError(409, 'Connect a number first: a partner change moves the numbers you have');
    return { partner, s, user, client: await getClient(deps, partner.id, user.client_id) };
  }

  const actorOf = (user: OnboardingUser): Actor => ({ user_id: user.id, user_name: user.email });

  async function describe(rows: PcrRow[], clientId: string) {
    const brands = new Map<string, string>();
    for (const id of new Set(rows.map((r) => r.new_partner_id))) brands.set(id, (await findPartner(deps, id))?.brand_name ?? id);
    return rows.map((r) => {
      const channels = JSON.parse(r.channel_ids) as string[];
      return {
        id: r.id,
        status: r.status,
        what: r.is_full_migration === 1 ? 'all numbers' : `${channels.length} number${channels.length === 1 ? '' : 's'}`,
        to: `${brands.get(r.new_partner_id)} (${r.new_partner_id})`,
        created_at: r.created_at.slice(0, 16).replace('T', ' ') + ' UTC',
        completed_at: r.completed_at ? r.completed_at.slice(0, 16).replace('T', ' ') + ' UTC' : undefined,
        failure_reason: r.failure_reason,
        // Only a pending request this client made (not the one that created it) can be withdrawn.
        cancellable: r.status === 'pending' && r.client_id === clientId,
      };
    });
  }

  async function render(reply: FastifyReply, w: Who, extras: PageExtras = {}, status = 200) {
    const channels = await clientChannels(deps, w.partner.id, w.client.id);
    const rows = await clientPartnerChangeRequests(deps, w.client.id);
    const requests = await describe(rows, w.client.id);
    const ticked = new Set(extras.values?.channel_ids ?? []);
    return renderPage(
      reply,
      'onboarding/partner-change',
      {
        title: `Change partner · ${w.partner.brand_name}`,
        brand: w.partner.brand_name,
        base: base(w.partner.id),
        csrf: w.s.csrfToken,
        steps: [],
        error: extras.error,
        notice: extras.notice,
        user: w.user,
        pending: requests.some((r) => r.cancellable),
        values: { new_partner_id: extras.values?.new_partner_id ?? '', scope: extras.values?.scope === 'selected' ? 'selected' : 'all' },
        channels: channels.map((c) => ({ id: c.id, number: c.phone_number, name: c.phone_name, ticked: ticked.has(c.id) })),
        requests,
      },
      status,
    );
  }

  app.get(PAGE, opts, async (request, reply) => {
    const partner = await partnerFromPath(deps, request);
    const w = await who(reply, await currentSession(deps, request, partner), partner);
    if (!('client' in w)) return w;
    const q = request.query as Record<string, unknown>;
    // The outcome of the form just posted, found among this client's own requests only.
    const rows = await clientPartnerChangeRequests(deps, w.client.id);
    const pick = (v: unknown) => (typeof v === 'string' ? rows.find((r) => r.id === v) : undefined);
    const requested = pick(q.requested);
    const cancelled = pick(q.cancelled);
    let notice: string | undefined;
    if (requested?.status === 'pending') notice = `Request ${requested.id} sent. Your new partner (${requested.new_partner_id}) must approve it; its status is below.`;
    if (requested?.status === 'completed') {
      notice = `Request ${requested.id} done: the numbers moved to partner ${requested.new_partner_id}. Log in on its pages with the same e-mail and password to see them there.`;
    }
    if (cancelled?.status === 'cancelled') notice = `Request ${cancelled.id} withdrawn.`;
    return render(reply, w, { notice, error: requested?.status === 'failed' ? `Request ${requested.id} failed: ${requested.failure_reason ?? 'unknown reason'}` : undefined });
  });

  app.post(PAGE, opts, async (request, reply) => {
    const { partner, s, form } = await postContext(deps, request);
    const w = await who(reply, s, partner);
    if (!('client' in w)) return w;
    const newPartnerId = (form.new_partner_id ?? '').trim();
    const scope = form.scope === 'selected' ? 'selected' : 'all';
    const channelIds = scope === 'selected' ? allValues(request.body, 'channel_ids', MAX_PCR_CHANNELS + 1) : [];
    const values = { new_partner_id: newPartnerId.slice(0, 64), scope, channel_ids: channelIds.filter((id) => ID.test(id)) };
    const refuse = (error: string, status: number) => render(reply, w, { error, values }, status);

    if (!ID.test(newPartnerId)) return refuse('Enter the partner id of your new partner (letters and digits, ending in PA): ask your new partner for it.', 400);
    const target = await findPartner(deps, newPartnerId);
    if (!target) return refuse(`There is no partner with the id ${newPartnerId}: check the id with your new partner.`, 400);
    if (target.id === partner.id) return refuse(`Your numbers are already with ${partner.brand_name} (${partner.id}): enter your new partner's id.`, 400);
    if (scope === 'selected') {
      if (channelIds.length === 0) return refuse('Tick the numbers to move, or choose all numbers.', 400);
      const mine = new Set((await clientChannels(deps, partner.id, w.client.id)).map((c) => c.id));
      const foreign = channelIds.filter((id) => !mine.has(id));
      // Not one of this client's numbers (another's, or made up): named as typed, nothing looked up.
      if (foreign.length > 0) return refuse(`${foreign.slice(0, 3).map((id) => id.slice(0, 64)).join(', ')} ${foreign.length === 1 ? 'is not one of your numbers' : 'are not your numbers'}: reload the page and tick yours.`, 400);
    }
    let row: PcrRow;
    try {
      row = await requestPartnerChange(deps, { clientId: w.client.id, newPartnerId, ...(scope === 'selected' ? { channelIds } : {}) }, actorOf(w.user));
    } catch (err) {
      // The service's own refusals (one request open at a time; a login e-mail the new partner has
      // already): the page again, with the reason.
      if (err instanceof ApiError && err.status < 500) {
        const open = err.status === 409 && /pending partner change request/.test(err.message);
        return refuse(open ? 'You already have a pending partner change request: withdraw it below to ask for another.' : err.message, err.status);
      }
      throw err;
    }
    return reply.redirect(`${pageOf(partner.id)}?requested=${encodeURIComponent(row.id)}`, 303);
  });

  app.post(`${PAGE}/:pcr_id/cancel`, opts, async (request, reply) => {
    const { partner, s } = await postContext(deps, request);
    const w = await who(reply, s, partner);
    if (!('client' in w)) return w;
    const pcrId = (request.params as { pcr_id: string }).pcr_id;
    if (!ID.test(pcrId)) return render(reply, w, { error: 'That is not a partner change request id.' }, 400);
    try {
      // Scoped to this client: another client's request is "not found".
      await cancelPartnerChangeRequest(deps, pcrId, { clientId: w.client.id }, actorOf(w.user));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) {
        return render(reply, w, { error: err.status === 404 ? `You have no partner change request ${pcrId}.` : err.message }, err.status);
      }
      throw err;
    }
    return reply.redirect(`${pageOf(partner.id)}?cancelled=${encodeURIComponent(pcrId)}`, 303);
  });
};
