// Shared by the onboarding routes: the partner from the path, the session, the CSRF check and the
// form fields. (The redirect target is in redirect.ts.)
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { findPartner, type PartnerRow } from '../../services/partners.ts';
import { checkCsrf, createSession, destroySession, readSession } from '../sessions.ts';
import type { OnboardingSession } from './pages.ts';
import type { OnboardingSubject, Step } from './state.ts';

export async function partnerFromPath(deps: Deps, request: FastifyRequest): Promise<PartnerRow> {
  const pid = (request.params as { partner_id: string }).partner_id;
  const partner = /^[A-Za-z0-9]{1,64}$/.test(pid) ? await findPartner(deps, pid) : undefined;
  if (!partner) throw new ApiError(404, `There is no partner "${pid.slice(0, 64)}": check the onboarding link`);
  return partner;
}

/** The onboarding session for this partner, if the browser has one. */
export async function currentSession(deps: Deps, request: FastifyRequest, partner: PartnerRow): Promise<OnboardingSession | undefined> {
  const s = await readSession<OnboardingSubject>(deps, request, 'onboarding');
  return s && s.subject.partnerId === partner.id ? s : undefined;
}

/** For every form post: a session of this partner and its CSRF token, or 403. */
export async function postContext(deps: Deps, request: FastifyRequest): Promise<{ partner: PartnerRow; s: OnboardingSession; form: Record<string, string> }> {
  const partner = await partnerFromPath(deps, request);
  const s = await currentSession(deps, request, partner);
  if (!s) throw new ApiError(403, `Your onboarding session has expired (or cookies are blocked): open the link from ${partner.brand_name} again`);
  const form = formFields(request.body);
  if (!checkCsrf(s, form._csrf)) throw new ApiError(403, 'This form is out of date or did not come from this page: reload the page and try again');
  return { partner, s, form };
}

/** String fields of a form body (a repeated field counts once, non-strings are dropped). */
export function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === 'string') out[k] = value;
  }
  return out;
}

/** Refuses a form posted for a step the session is not at (e.g. permission before verification). */
export function requireStep(s: OnboardingSession, ...steps: Step[]): void {
  if (!steps.includes(s.subject.step)) throw new ApiError(409, 'This step is not open: continue where you left off');
}

export function requireUser(s: OnboardingSession): string {
  if (!s.subject.userId) throw new ApiError(409, 'Sign up or log in first');
  return s.subject.userId;
}

/** A new session id (and CSRF token) for a new identity: a planted cookie cannot ride along. */
export async function rotateSession(deps: Deps, reply: FastifyReply, old: OnboardingSession | undefined, subject: OnboardingSubject): Promise<OnboardingSession> {
  if (old) await destroySession(deps, reply, old, 'onboarding');
  return createSession(deps, reply, 'onboarding', subject);
}
