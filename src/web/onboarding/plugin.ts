// Integrated Onboarding (reference §3): the pages a partner's connect button opens at
// /dashboard/app/{partner_id} and /dashboard/app/{partner_id}/permissions. A client signs up
// (or logs in), names and verifies a number, grants the partner access, and is sent back to the
// partner with ?client=…&channels=[…]. Account pages here; the rest of the flow in flow-routes.ts.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { toApiError } from '../../errors.ts';
import { throttledLogin } from '../../services/login-throttle.ts';
import { readSession } from '../sessions.ts';
import { flowRoutes } from './flow-routes.ts';
import { embeddedSignupRoutes } from './embedded-signup-routes.ts';
import { embeddedSignupCspHook } from './embedded-signup-csp.ts';
import { demoPartnerReturn } from './demo-partner-return.ts';
import { partnerChangeRoutes } from './partner-change-routes.ts';
import { currentSession, partnerFromPath, postContext, requireStep, rotateSession } from './context.ts';
import { base, renderError, renderStep } from './pages.ts';
import { partnerRedirectUrl, redirectTarget } from './redirect.ts';
import { newSubject, parseParams, type OnboardingSubject } from './state.ts';
import { authenticateOnboardingUser, createOnboardingUser, emailTaken, findOnboardingUser, isEmail } from './users.ts';

export const onboardingPages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.setErrorHandler((err, request, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) request.log.error({ err }, 'onboarding page failed');
    if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
    const pid = (request.params as { partner_id?: string } | undefined)?.partner_id;
    // A refused form can be taken up again; a broken link cannot.
    const resumable = request.method === 'POST' && pid && e.status !== 404 && /^[A-Za-z0-9]{1,64}$/.test(pid) ? `${base(pid)}/onboarding` : undefined;
    return renderError(reply, e.status, e.status >= 500 ? 'Internal error' : e.message, resumable);
  });
  // With Embedded Signup the number step's page loads Facebook's SDK: its CSP is widened for that
  // page only (before any route or child plugin, so that the hook covers them all).
  if (deps.config.embeddedSignup) app.addHook('onSend', embeddedSignupCspHook(deps.config.embeddedSignup));

  /** The link from the partner's connect button: starts (or restarts) an onboarding. */
  async function entry(request: FastifyRequest, reply: FastifyReply) {
    // The official button (1.0.2) puts "?" only before `number`, and appends its other
    // parameters with "&" whatever came before (reference §3): without a number its link is
    // /dashboard/app/PID&email=…&state=…. Sent on to the same link with a query string.
    const glued = /^\/dashboard\/app\/([A-Za-z0-9]{1,64})&([^?#]*)(?:\?([^#]*))?$/.exec(request.raw.url ?? '');
    if (glued) return reply.redirect(`/dashboard/app/${glued[1]}?${[glued[2], glued[3]].filter(Boolean).join('&')}`, 302);
    const partner = await partnerFromPath(deps, request);
    // Reference §3: no Integrated Onboarding before the partner has set its redirect URL (409
    // page telling the client so), and a link's redirect_url only on that URL's origin (400):
    // both refused before a session exists, so a crafted link leads nowhere.
    partnerRedirectUrl(partner);
    const params = parseParams(request.query);
    redirectTarget(partner, params);
    // A client already logged in here stays logged in; everything else starts afresh (and a
    // session for another partner is ended).
    const old = await readSession<OnboardingSubject>(deps, request, 'onboarding');
    const mine = old?.subject.partnerId === partner.id ? old : undefined;
    const user = mine?.subject.userId ? await findOnboardingUser(deps, partner.id, mine.subject.userId) : undefined;
    const subject = newSubject(partner.id, params, user?.id);
    if (user) subject.step = user.client_id ? 'channels' : 'phone';
    const s = await rotateSession(deps, reply, old, subject);
    return renderStep(deps, reply, s, partner);
  }
  app.get('/dashboard/app/:partner_id', { schema: { hide: true } }, entry);
  app.get('/dashboard/app/:partner_id/permissions', { schema: { hide: true } }, entry);

  /** The step the session is at (every form lands here after its redirect). */
  app.get('/dashboard/app/:partner_id/onboarding', { schema: { hide: true } }, async (request, reply) => {
    const partner = await partnerFromPath(deps, request);
    const s = await currentSession(deps, request, partner);
    if (!s) return reply.redirect(base(partner.id), 303);
    const form = (request.query as { form?: unknown }).form;
    return renderStep(deps, reply, s, partner, { form: form === 'login' || form === 'signup' ? form : undefined });
  });

  app.post('/dashboard/app/:partner_id/signup', { schema: { hide: true } }, async (request, reply) => {
    const { partner, s, form } = await postContext(deps, request);
    requireStep(s, 'account');
    const name = (form.name ?? '').trim();
    const email = (form.email ?? '').trim();
    const password = form.password ?? '';
    const values = { name, email };
    const refuse = (error: string, status = 400) => renderStep(deps, reply, s, partner, { form: 'signup', error, values }, status);
    if (name.length < 1 || name.length > 200) return refuse('Enter your name (up to 200 characters).');
    if (!isEmail(email)) return refuse('Enter a valid email address.');
    if (password.length < 8 || password.length > 200) return refuse('Choose a password of 8 to 200 characters.');
    if (await emailTaken(deps, partner.id, email)) return refuse('An account with this email already exists: log in instead.', 409);
    const user = await createOnboardingUser(deps, { partnerId: partner.id, name, email, password });
    await rotateSession(deps, reply, s, { ...s.subject, userId: user.id, step: 'phone' });
    return reply.redirect(`${base(partner.id)}/onboarding`, 303);
  });

  app.post('/dashboard/app/:partner_id/login', { schema: { hide: true } }, async (request, reply) => {
    const { partner, s, form } = await postContext(deps, request);
    requireStep(s, 'account');
    const email = (form.email ?? '').trim().slice(0, 254);
    const password = (form.password ?? '').slice(0, 200);
    const refuse = (error: string, status: number) => renderStep(deps, reply, s, partner, { form: 'login', error, values: { email } }, status);
    if (!email || !password) return refuse('Enter your email and password.', 400);
    const throttleKey = `onboarding:${partner.id}:${email.toLowerCase()}`;
    const login = await throttledLogin(deps, throttleKey, request.ip, () => authenticateOnboardingUser(deps, partner.id, email, password));
    if (login.kind === 'blocked') {
      reply.header('retry-after', String(login.retryAfterSeconds));
      return refuse(`Too many failed logins: try again in ${Math.ceil(login.retryAfterSeconds / 60)} minute(s).`, 429);
    }
    if (login.kind === 'wrong') return refuse('Wrong email or password.', 401);
    const user = login.user;
    const subject: OnboardingSubject = { ...s.subject, userId: user.id, step: user.client_id ? 'channels' : 'phone' };
    await rotateSession(deps, reply, s, subject);
    return reply.redirect(`${base(partner.id)}/onboarding`, 303);
  });

  /** Logs out but keeps the link's parameters: the next person starts at the account step. */
  app.post('/dashboard/app/:partner_id/logout', { schema: { hide: true } }, async (request, reply) => {
    const { partner, s } = await postContext(deps, request);
    await rotateSession(deps, reply, s, newSubject(partner.id, s.subject.params));
    return reply.redirect(`${base(partner.id)}/onboarding?form=login`, 303);
  });

  await app.register(flowRoutes, { deps });
  await app.register(partnerChangeRoutes, { deps });
  if (deps.config.embeddedSignup) await app.register(embeddedSignupRoutes, { deps });
  // Where the demo tenant's onboarding ends: a stand-in for the partner's own site (only where
  // there is a demo: elsewhere it would be an unauthenticated page showing whatever a link says).
  if (deps.config.demo) await app.register(demoPartnerReturn, { deps });
};
