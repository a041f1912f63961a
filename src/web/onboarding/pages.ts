// Renders the onboarding step a session is at, with what that step needs to show.
import type { FastifyReply } from 'fastify';
import type { Deps } from '../../deps.ts';
import { getClient } from '../../services/clients.ts';
import type { PartnerRow } from '../../services/partners.ts';
import { renderPage } from '../render.ts';
import type { WebSession } from '../sessions.ts';
import { channelCapacity, clientChannels } from './setup.ts';
import { PLANS, type OnboardingSubject, type Step } from './state.ts';
import { findOnboardingUser } from './users.ts';
import { useEmbeddedSignupCsp } from './embedded-signup-csp.ts';

export type OnboardingSession = WebSession<OnboardingSubject>;

const STEP_LABELS: [Step, string][] = [
  ['account', 'Account'],
  ['phone', 'Phone number'],
  ['verify', 'Verification'],
  ['permission', 'Permission'],
];

export interface StepExtras {
  /** A message about the last form (shown as an alert). */
  error?: string;
  /** Sandbox: the code just issued (never stored, so only shown on the page that issued it). */
  code?: string;
  /** What the user typed, to refill a form that was refused. */
  values?: Record<string, string>;
  /** Account step: which form (signup is the default unless the link said next=login). */
  form?: 'login' | 'signup';
  /** A notice (e.g. "number withdrawn"). */
  notice?: string;
  /** Channels step: the channel whose withdrawal is to be confirmed. */
  confirmWithdraw?: string;
}

export function base(partnerId: string): string {
  return `/dashboard/app/${encodeURIComponent(partnerId)}`;
}

export async function renderStep(
  deps: Deps,
  reply: FastifyReply,
  s: OnboardingSession,
  partner: PartnerRow,
  extras: StepExtras = {},
  status = 200,
): Promise<FastifyReply> {
  const sub = s.subject;
  const user = sub.userId ? await findOnboardingUser(deps, partner.id, sub.userId) : undefined;
  const es = deps.config.embeddedSignup;
  // With Embedded Signup, Facebook verifies the number: there is no code step.
  const labels = es ? STEP_LABELS.filter(([id]) => id !== 'verify') : STEP_LABELS;
  const common = {
    csrf: s.csrfToken,
    brand: partner.brand_name,
    base: base(partner.id),
    steps: labels.map(([id, label]) => ({ id, label, current: id === sub.step })),
    error: extras.error,
    notice: extras.notice,
    values: extras.values ?? {},
    user,
  };
  switch (sub.step) {
    case 'account': {
      const form = extras.form ?? (sub.params.login ? 'login' : 'signup');
      const values = { email: sub.params.email ?? '', name: sub.params.name ?? '', ...extras.values };
      return renderPage(reply, `onboarding/${form}`, { ...common, values, title: form === 'login' ? `Log in · ${partner.brand_name}` : `Sign up · ${partner.brand_name}` }, status);
    }
    case 'phone': {
      if (es) {
        useEmbeddedSignupCsp(reply);
        return renderPage(
          reply,
          'onboarding/embedded-signup',
          {
            ...common,
            title: `Connect your WhatsApp number · ${partner.brand_name}`,
            scripts: ['/assets/embedded-signup.js'],
            es: { appId: es.appId, configId: es.configId, sdkUrl: es.sdkUrl, origins: es.origins.join(' '), graphVersion: deps.config.metaGraphVersion },
          },
          status,
        );
      }
      const values = {
        number: sub.phone?.number ?? sub.params.number ?? '',
        display_name: sub.phone?.name ?? sub.params.name ?? user?.name ?? '',
        ...extras.values,
      };
      return renderPage(reply, 'onboarding/phone', { ...common, values, title: `Phone number · ${partner.brand_name}` }, status);
    }
    case 'verify':
      return renderPage(
        reply,
        'onboarding/verify',
        { ...common, title: `Verify your number · ${partner.brand_name}`, phone: sub.phone, code: extras.code, attemptsLeft: sub.verification?.attemptsLeft ?? 0 },
        status,
      );
    case 'permission':
      return renderPage(
        reply,
        'onboarding/permission',
        { ...common, title: `Grant permission · ${partner.brand_name}`, phone: sub.phone, plans: PLANS, plan: extras.values?.plan ?? sub.plan ?? sub.params.plan, viaFacebook: sub.meta !== undefined },
        status,
      );
    case 'channels': {
      const client = user?.client_id ? await getClient(deps, partner.id, user.client_id) : undefined;
      const channels = client ? await clientChannels(deps, partner.id, client.id) : [];
      const capacity = client ? await channelCapacity(deps, partner, client) : { allowed: false, used: 0, reason: 'No account yet' };
      return renderPage(
        reply,
        'onboarding/channels',
        {
          ...common,
          title: `Your numbers · ${partner.brand_name}`,
          client,
          capacity,
          confirmWithdraw: extras.confirmWithdraw,
          channels: channels.map((c) => ({
            id: c.id,
            number: c.phone_number,
            name: c.phone_name,
            status: c.status,
            availability: c.availability_status,
            withdrawn: c.cancellation_requested_at !== null,
          })),
        },
        status,
      );
    }
  }
}

export function renderError(reply: FastifyReply, status: number, message: string, continueUrl?: string): FastifyReply {
  const title = status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Cannot continue';
  return renderPage(reply, 'onboarding/error', { title, status, message, continueUrl }, status);
}
