// The onboarding after the account step: number, verification, permission (which commits),
// and for a returning client: add a number, withdraw one, go back to the partner.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { withdrawChannel } from '../../services/channel-lifecycle.ts';
import { getClient } from '../../services/clients.ts';
import type { PartnerRow } from '../../services/partners.ts';
import { updateSessionSubject } from '../sessions.ts';
import { postContext, requireStep, requireUser } from './context.ts';
import { base, renderStep, type OnboardingSession } from './pages.ts';
import { channelCapacity, clientChannels, completeOnboarding } from './setup.ts';
import { numberInUse } from '../../services/channels.ts';
import { partnerRedirect, redirectTarget } from './redirect.ts';
import { normalisePhone, PLANS, type OnboardingSubject, type Plan } from './state.ts';
import { findOnboardingUser, type OnboardingUser } from './users.ts';
import { checkCode, issueCode, MAX_CODES } from './verification.ts';
import { grantEmbeddedSignup } from './embedded-signup-routes.ts';

export const flowRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const path = (p: string) => `/dashboard/app/:partner_id/${p}`;
  const opts = { schema: { hide: true } };

  async function loggedInUser(partner: PartnerRow, s: OnboardingSession): Promise<OnboardingUser> {
    const user = await findOnboardingUser(deps, partner.id, requireUser(s));
    if (!user) throw new ApiError(409, 'Your account is gone: open the link again');
    return user;
  }

  /** A returning client's client row, or 409 when this user has not onboarded yet. */
  async function clientOf(partner: PartnerRow, user: OnboardingUser) {
    if (!user.client_id) throw new ApiError(409, 'Connect a number first');
    return getClient(deps, partner.id, user.client_id);
  }

  async function save(s: OnboardingSession, patch: Partial<OnboardingSubject>): Promise<void> {
    await updateSessionSubject(deps, s, { ...s.subject, ...patch });
  }

  /** Back to the partner: ?client=…&channels=[…] (granted, not withdrawn) &revoked=[…] &state=…. */
  async function backToPartner(reply: FastifyReply, partner: PartnerRow, s: OnboardingSession, clientId: string) {
    const target = redirectTarget(partner, s.subject.params); // checked again: the partner's URL may have changed
    const channels = (await clientChannels(deps, partner.id, clientId)).filter((c) => c.cancellation_requested_at === null).map((c) => c.id);
    return reply.redirect(partnerRedirect(target, { clientId, channels, revoked: s.subject.revoked, state: s.subject.params.state }), 303);
  }

  async function sendCode(reply: FastifyReply, partner: PartnerRow, s: OnboardingSession, patch: Partial<OnboardingSubject>) {
    const { code, verification } = issueCode(deps.clock);
    await save(s, { ...patch, step: 'verify', verification, verified: false, codesIssued: s.subject.codesIssued + 1 });
    return renderStep(deps, reply, s, partner, { code });
  }

  app.post(path('phone'), opts, async (request, reply) => {
    const { partner, s, form } = await postContext(deps, request);
    const user = await loggedInUser(partner, s);
    requireStep(s, 'phone', 'verify');
    // With Embedded Signup the number comes from Facebook (embedded-signup-routes.ts), never typed in.
    if (deps.config.embeddedSignup) throw new ApiError(409, 'Connect your number with Facebook on the phone number step');
    const number = normalisePhone(form.number ?? '');
    const name = (form.display_name ?? '').trim();
    const atPhone = { ...s, subject: { ...s.subject, step: 'phone' as const } };
    const refuse = (error: string, status = 400) => renderStep(deps, reply, atPhone, partner, { error, values: { number: form.number ?? '', display_name: name } }, status);
    if (!/^\d{6,15}$/.test(number)) return refuse('Enter the number with its country code: 6 to 15 digits.');
    if (name.length < 1 || name.length > 100) return refuse('Enter a display name (up to 100 characters).');
    if (user.client_id) {
      const capacity = await channelCapacity(deps, partner, await clientOf(partner, user));
      if (!capacity.allowed) throw new ApiError(403, capacity.reason!);
    }
    if (await numberInUse(deps, partner.id, number)) return refuse(`+${number} is already connected to ${partner.brand_name}.`, 409);
    if (s.subject.codesIssued >= MAX_CODES) return refuse(`${MAX_CODES} codes were sent already: open the link again to start over.`, 429);
    return sendCode(reply, partner, s, { phone: { number, name } });
  });

  app.post(path('resend'), opts, async (request, reply) => {
    const { partner, s } = await postContext(deps, request);
    requireStep(s, 'verify');
    if (s.subject.codesIssued >= MAX_CODES) {
      return renderStep(deps, reply, s, partner, { error: `${MAX_CODES} codes were sent already: open the link again to start over.` }, 429);
    }
    return sendCode(reply, partner, s, {});
  });

  app.post(path('verify'), opts, async (request, reply) => {
    const { partner, s, form } = await postContext(deps, request);
    requireStep(s, 'verify');
    const { result, next } = checkCode(deps.clock, s.subject.verification, form.code ?? '');
    if (result.ok) {
      await save(s, { step: 'permission', verified: true, verification: undefined });
      return reply.redirect(`${base(partner.id)}/onboarding`, 303);
    }
    await save(s, { verification: next });
    const refuse = (error: string, status: number) => renderStep(deps, reply, s, partner, { error }, status);
    switch (result.reason) {
      case 'malformed':
        return refuse('Enter the 6-digit code.', 400);
      case 'expired':
        return refuse('The code has expired: send a new code.', 400);
      case 'none':
        return refuse('This code no longer works: send a new code.', 429);
      case 'wrong':
        return result.attemptsLeft > 0
          ? refuse(`Wrong code: ${result.attemptsLeft} attempt${result.attemptsLeft === 1 ? '' : 's'} left.`, 400)
          : refuse('Wrong code too many times: this code no longer works. Send a new code.', 429);
    }
  });

  app.post(path('change-number'), opts, async (request, reply) => {
    const { partner, s } = await postContext(deps, request);
    requireStep(s, 'verify', 'permission');
    await save(s, { step: 'phone', verification: undefined, verified: false, meta: undefined });
    return reply.redirect(`${base(partner.id)}/onboarding`, 303);
  });

  /** The grant: commits client (if new), channel, submission and the setup job; back to the partner. */
  app.post(path('permission'), opts, async (request, reply) => {
    const { partner, s, form } = await postContext(deps, request);
    // Pressed twice (the browser shows the second answer): already granted, go back again.
    if (s.subject.step === 'channels') return backToPartner(reply, partner, s, (await clientOf(partner, await loggedInUser(partner, s))).id);
    requireStep(s, 'permission');
    const phone = s.subject.phone;
    if (!s.subject.verified || !phone) throw new ApiError(409, 'Verify your number first');
    const user = await loggedInUser(partner, s);
    const plan = form.plan === undefined ? s.subject.plan : (PLANS as string[]).includes(form.plan) ? (form.plan as Plan) : undefined;
    const refuse = (error: string) => renderStep(deps, reply, s, partner, { error, values: plan ? { plan } : {} }, 400);
    if (form.plan !== undefined && !plan) return refuse('Choose one of the plans.');
    if (form.grant !== 'yes') return refuse(`Tick the box to allow ${partner.brand_name} to use your number.`);
    redirectTarget(partner, s.subject.params); // nowhere (allowed) to go back to: refuse before committing anything
    let clientId: string;
    if (s.subject.meta) {
      // Connected with Facebook: registered at Meta, then created on Meta's network.
      const granted = await grantEmbeddedSignup(deps, reply, { partner, s, user, plan });
      if ('rendered' in granted) return granted.rendered;
      clientId = granted.clientId;
    } else {
      // A sandbox number verified before Embedded Signup was turned on stays refused: only Facebook's numbers now.
      if (deps.config.embeddedSignup) throw new ApiError(409, 'Numbers are now connected with Facebook here: open the link again to connect yours');
      clientId = (await completeOnboarding(deps, { partner, user, phone, params: s.subject.params, plan })).clientId;
    }
    await save(s, { step: 'channels', phone: undefined, verified: false, verification: undefined, plan, meta: undefined });
    return backToPartner(reply, partner, s, clientId);
  });

  app.post(path('add-number'), opts, async (request, reply) => {
    const { partner, s } = await postContext(deps, request);
    requireStep(s, 'channels');
    const capacity = await channelCapacity(deps, partner, await clientOf(partner, await loggedInUser(partner, s)));
    if (!capacity.allowed) throw new ApiError(403, capacity.reason!);
    await save(s, { step: 'phone', phone: undefined, verified: false, verification: undefined, meta: undefined });
    return reply.redirect(`${base(partner.id)}/onboarding`, 303);
  });

  app.post(path('withdraw'), opts, async (request, reply) => {
    const { partner, s, form } = await postContext(deps, request);
    requireStep(s, 'channels');
    const client = await clientOf(partner, await loggedInUser(partner, s));
    const channelId = form.channel_id ?? '';
    if (!/^[A-Za-z0-9]{1,64}$/.test(channelId)) throw new ApiError(400, 'Which number? The form named no channel');
    // Withdrawing is not undone here: the first press asks, the second (confirm=yes) does it.
    if (form.confirm !== 'yes') {
      const ch = (await clientChannels(deps, partner.id, client.id)).find((c) => c.id === channelId);
      if (!ch) throw new ApiError(404, `Channel ${channelId} not found for this account`);
      return renderStep(deps, reply, s, partner, { confirmWithdraw: channelId });
    }
    await withdrawChannel(deps, partner.id, client.id, channelId);
    if (!s.subject.revoked.includes(channelId)) await save(s, { revoked: [...s.subject.revoked, channelId] });
    return reply.redirect(`${base(partner.id)}/onboarding`, 303);
  });

  app.post(path('finish'), opts, async (request, reply) => {
    const { partner, s } = await postContext(deps, request);
    requireStep(s, 'channels');
    const client = await clientOf(partner, await loggedInUser(partner, s));
    return backToPartner(reply, partner, s, client.id);
  });
};
