// Integrated Onboarding with Meta's Embedded Signup (on when config.embeddedSignup is set): the
// number step is Facebook's (embedded-signup.eta and /assets/embedded-signup.js run FB.login and
// read Meta's WA_EMBEDDED_SIGNUP message), and the page posts what Facebook gave it here.
//
// POST /dashboard/app/{pid}/embedded-signup {code, phone_number_id, waba_id}: the code is exchanged
// at once (it is short-lived and single-use), Meta is asked which number this is, and the token
// waits sealed in the session for the permission step. Nothing changes at Meta yet. Exchanges are
// bounded: MAX_CODE_EXCHANGES per session, and failed ones per user and per address (the login
// throttle), since each is a request signed with the one Meta app's secret, under its rate limit.
// The permission step (grantEmbeddedSignup, called by flow-routes.ts) runs the commit's local
// refusals first, then subscribes the app to the WABA and registers the number with the PIN derived
// from it (pinFor: the same in every attempt), then creates the channel on Meta's network.
//
// Every refusal or failure of Meta's renders the step again with Meta's reason (never a 500), and
// creates nothing; the token, the code and the PIN appear in no page, answer, log line or error.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { META_ID_PATTERN, type MetaCredentialsInput } from '../../network/meta/channels.ts';
import { EmbeddedSignupError, ES_CODE, exchangeCode, metaNumberHolder, pinFor, registerNumber } from '../../network/meta/embedded-signup.ts';
import { checkMetaNumber, readNumberFacts } from '../../network/meta/number-check.ts';
import { GraphClient } from '../../network/meta/graph-client.ts';
import type { PartnerRow } from '../../services/partners.ts';
import { getClient } from '../../services/clients.ts';
import { throttledLogin } from '../../services/login-throttle.ts';
import { updateSessionSubject } from '../sessions.ts';
import { postContext, requireStep, requireUser } from './context.ts';
import { openPending, sealPending } from './embedded-signup-session.ts';
import { base, renderStep, type OnboardingSession } from './pages.ts';
import { channelCapacity, completeOnboarding, refuseBeforeCommit } from './setup.ts';
import { numberInUse } from '../../services/channels.ts';
import type { Plan } from './state.ts';
import { findOnboardingUser, type OnboardingUser } from './users.ts';

const META_ID = new RegExp(META_ID_PATTERN);

/**
 * Codes one onboarding session may have Meta exchange (as the sandbox's number step has MAX_CODES):
 * enough for a few tries with Facebook; a new session (the link opened again) starts over, and
 * failed exchanges are also throttled per user and per address across sessions (below).
 */
export const MAX_CODE_EXCHANGES = 5;

/** What the page says when Meta refused or could not be reached; and the status it answers with. */
function failure(err: EmbeddedSignupError, again: string): { error: string; status: number } {
  return err.unreachable
    ? { error: `Meta could not be reached to finish connecting your number (${err.message}). ${again} in a moment.`, status: 502 }
    : { error: `${err.message}. ${again}.`, status: 400 };
}

/** Why this number cannot be connected here, or undefined. Another partner's number is not named. */
async function heldElsewhere(deps: Deps, partner: PartnerRow, phoneNumberId: string): Promise<string | undefined> {
  const holder = await metaNumberHolder(deps, phoneNumberId);
  if (!holder) return undefined;
  if (holder.partnerId !== partner.id) return 'This WhatsApp number is already connected on this platform through another account: it can be connected to one account only.';
  if (holder.terminated) return `This WhatsApp number still belongs to an ended connection with ${partner.brand_name}: ask ${partner.brand_name} to release it, then connect it again.`;
  return `This WhatsApp number is already connected to ${partner.brand_name}.`;
}

export const embeddedSignupRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.post('/dashboard/app/:partner_id/embedded-signup', { schema: { hide: true } }, async (request, reply) => {
    const es = deps.config.embeddedSignup;
    const { partner, s, form } = await postContext(deps, request);
    if (!es) throw new ApiError(404, 'Connecting a number with Facebook is not set up on this platform');
    const user = await findOnboardingUser(deps, partner.id, requireUser(s));
    if (!user) throw new ApiError(409, 'Your account is gone: open the link again');
    requireStep(s, 'phone');
    const refuse = (error: string, status: number) => renderStep(deps, reply, s, partner, { error }, status);
    const code = form.code ?? '';
    const ids = { phoneNumberId: form.phone_number_id ?? '', wabaId: form.waba_id ?? '' };
    if (!ES_CODE.test(code)) return refuse('Facebook did not hand over the connection (no code came back): connect with Facebook again.', 400);
    if (!META_ID.test(ids.phoneNumberId) || !META_ID.test(ids.wabaId)) {
      return refuse('Facebook did not say which WhatsApp number and business account you connected: connect with Facebook again and add a phone number.', 400);
    }
    if (user.client_id) {
      const capacity = await channelCapacity(deps, partner, await getClient(deps, partner.id, user.client_id));
      if (!capacity.allowed) throw new ApiError(403, capacity.reason!);
    }
    const held = await heldElsewhere(deps, partner, ids.phoneNumberId);
    if (held) return refuse(held, 409);
    const exchanges = s.subject.codeExchanges ?? 0;
    if (exchanges >= MAX_CODE_EXCHANGES) {
      return refuse(`You connected with Facebook ${MAX_CODE_EXCHANGES} times already in this visit: open the link from ${partner.brand_name} again to start over.`, 429);
    }

    let accessToken: string;
    let facts;
    let failed: unknown;
    try {
      // Failed exchanges are throttled as failed logins are (services/login-throttle.ts: counters in
      // the database, OPENWABA_LOGIN_MAX_FAILURES per OPENWABA_LOGIN_WINDOW_SECONDS), per onboarding
      // user and per address, across sessions and instances: counted before Meta is asked
      // (atomically, so parallel posts count too), the user's forgotten when one succeeds. Counters
      // of their own (`es:` before the address): failed connections do not lock out logins, nor the
      // reverse. Any failure counts, Meta's refusal or no answer: either way Meta was asked.
      const exchanged = await throttledLogin(deps, `embedded-signup:${partner.id}:${user.id}`, `es:${request.ip}`, async () => {
        // Counted in the session before Meta is asked, whatever comes of it.
        await updateSessionSubject(deps, s, { ...s.subject, codeExchanges: exchanges + 1 });
        try {
          return await exchangeCode(deps, es, code);
        } catch (err) {
          failed = err;
          return undefined;
        }
      });
      if (exchanged.kind === 'blocked') {
        reply.header('retry-after', String(exchanged.retryAfterSeconds));
        return refuse(`Too many failed connections with Facebook: try again in ${Math.ceil(exchanged.retryAfterSeconds / 60)} minute(s).`, 429);
      }
      if (exchanged.kind === 'wrong') throw failed;
      accessToken = exchanged.user;
      const input: MetaCredentialsInput = { ...ids, accessToken };
      const graph = new GraphClient(deps.config);
      try {
        facts = await readNumberFacts(graph, input);
      } catch (err) {
        if (err instanceof ApiError) throw new EmbeddedSignupError(err.message, err.status >= 500);
        throw err;
      } finally {
        await graph.close();
      }
    } catch (err) {
      if (!(err instanceof EmbeddedSignupError)) throw err;
      const f = failure(err, 'Connect with Facebook again');
      return refuse(f.error, f.status);
    }
    if (!facts.phoneNumber) return refuse('Meta did not say which phone number you connected: connect with Facebook again.', 502);
    if (await numberInUse(deps, partner.id, facts.phoneNumber)) return refuse(`+${facts.phoneNumber} is already connected to ${partner.brand_name}.`, 409);
    const pending = sealPending(deps, s, ids, { accessToken });
    await updateSessionSubject(deps, s, {
      ...s.subject,
      step: 'permission',
      phone: { number: facts.phoneNumber, name: facts.verifiedName ?? user.name },
      verified: true,
      verification: undefined,
      meta: pending,
    });
    return reply.redirect(`${base(partner.id)}/onboarding`, 303);
  });
};

/**
 * The permission step of a number connected with Facebook. First what the commit would refuse
 * locally (refuseBeforeCommit: max_channels, the number connected meanwhile): Meta is not touched
 * for a number that cannot become a channel. Then the app is subscribed to its WABA and the number
 * registered for the Cloud API with its PIN (Meta's refusal creates nothing), then the client (when
 * new) and its channel on Meta's network are committed. Returns the client's id, or the reply when
 * the step was rendered again with the reason.
 */
export async function grantEmbeddedSignup(
  deps: Deps,
  reply: FastifyReply,
  ctx: { partner: PartnerRow; s: OnboardingSession; user: OnboardingUser; plan: Plan | undefined },
): Promise<{ clientId: string } | { rendered: FastifyReply }> {
  const { partner, s, user, plan } = ctx;
  const pending = s.subject.meta!;
  const phone = s.subject.phone!;
  const backToNumberStep = async (error: string, status: number) => {
    await updateSessionSubject(deps, s, { ...s.subject, step: 'phone', phone: undefined, verified: false, meta: undefined });
    return { rendered: await renderStep(deps, reply, s, partner, { error }, status) };
  };
  const again = async (error: string, status: number) => ({ rendered: await renderStep(deps, reply, s, partner, { error, values: plan ? { plan } : {} }, status) });
  const key = deps.config.secretKey;
  if (!deps.config.embeddedSignup || !key) return backToNumberStep('Connecting a number with Facebook is no longer set up here: enter your number again.', 409);
  const secrets = openPending(deps, s, pending);
  if (!secrets) return backToNumberStep('Your connection with Facebook can no longer be used here: connect with Facebook again.', 409);
  const held = await heldElsewhere(deps, partner, pending.phoneNumberId);
  if (held) return backToNumberStep(held, 409);
  try {
    await refuseBeforeCommit(deps, { partner, user, phone, phoneNumberId: pending.phoneNumberId });
  } catch (err) {
    // The number taken meanwhile: another number may still do. No room for a number (403): the error page, as the commit's.
    if (err instanceof ApiError && err.status === 409) return backToNumberStep(`${err.message}: connect another number with Facebook.`, 409);
    throw err;
  }
  const credentials: MetaCredentialsInput = { phoneNumberId: pending.phoneNumberId, wabaId: pending.wabaId, accessToken: secrets.accessToken };
  const pin = pinFor(key, pending.phoneNumberId);
  let facts;
  try {
    // The operator's attach checks (the number's facts, that it is the WABA's, subscribed_apps)…
    try {
      facts = await checkMetaNumber(deps, credentials);
    } catch (err) {
      if (err instanceof ApiError) throw new EmbeddedSignupError(err.message, err.status >= 500);
      throw err;
    }
    // (Meta's facts now: a verified name may have changed since the Facebook step; the number must be the one shown.)
    if (facts.phoneNumber !== undefined && facts.phoneNumber !== phone.number) {
      return backToNumberStep('Meta now reports another phone number for this connection: connect with Facebook again.', 409);
    }
    // …then the registration, which makes the number send through the Cloud API.
    await registerNumber(deps, credentials, pin);
  } catch (err) {
    if (!(err instanceof EmbeddedSignupError)) throw err;
    const f = failure(err, 'Try again');
    return again(f.error, f.status);
  }
  const { clientId } = await completeOnboarding(deps, {
    partner,
    user,
    phone: { number: phone.number, name: facts.verifiedName ?? phone.name },
    params: s.subject.params,
    plan,
    meta: { credentials, facts: { ...facts, phoneNumber: phone.number }, pin },
  });
  return { clientId };
}
