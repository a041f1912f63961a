// What an onboarding session remembers (the session subject) and the entry link's query
// parameters (reference §3). The way back to the partner is in redirect.ts.
import { ApiError } from '../../errors.ts';
import { checkRedirectUrl } from './redirect.ts';

export type Plan = 'regular' | 'premium';
export const PLANS: readonly Plan[] = ['regular', 'premium'];

/** The entry link's parameters that steer the flow; all optional. */
export interface OnboardingParams {
  number?: string;
  email?: string;
  name?: string;
  /** The partner's own reference, stored as the client's partner_payload. */
  partner?: string;
  state?: string;
  redirect_url?: string;
  login?: boolean;
  plan?: Plan;
}

export type Step = 'account' | 'phone' | 'verify' | 'permission' | 'channels';

export interface Verification {
  /** SHA-256 of salt + code; the code itself is only shown (sandbox) and never stored. */
  salt: string;
  codeHash: string;
  attemptsLeft: number;
  expiresAt: string;
}

export interface OnboardingSubject {
  partnerId: string;
  params: OnboardingParams;
  step: Step;
  /** The signed-up or logged-in onboarding user. */
  userId?: string;
  phone?: { number: string; name: string };
  verification?: Verification;
  /** Codes issued in this session (a bound on resends). */
  codesIssued: number;
  /** The number was verified: the permission step may commit. */
  verified?: boolean;
  /** Channels the client withdrew from the partner during this visit. */
  revoked: string[];
  /** The plan picked on the permission step (prefilled from plan_selection). */
  plan?: Plan;
  /** Embedded Signup: the number connected with Facebook, waiting for the permission step. */
  meta?: EmbeddedSignupPending;
  /**
   * Embedded Signup: Facebook codes this session had Meta exchange (a bound like codesIssued: each
   * is a request signed with the Meta app's secret, under the app's rate limit that every partner
   * shares). Absent in sessions from before it was counted: 0.
   */
  codeExchanges?: number;
}

/**
 * What Embedded Signup brought, kept until the permission step registers the number: Meta's ids,
 * and the business's access token, sealed under OPENWABA_SECRET_KEY and bound to this session
 * (embedded-signup-session.ts). Never in plaintext.
 */
export interface EmbeddedSignupPending {
  phoneNumberId: string;
  wabaId: string;
  sealed: string;
}

const LIMITS = { number: 32, email: 254, name: 200, partner: 4096, state: 2048, redirect_url: 2048 } as const;

function first(v: unknown): string | undefined {
  if (Array.isArray(v)) v = v[0];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The entry link's query → params. Over-long values are refused (400): the partner's link is
 * wrong and silently cutting `state` or `partner` would hand back something else.
 */
export function parseParams(query: unknown): OnboardingParams {
  const q = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  const out: OnboardingParams = {};
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const v = first(q[key]);
    if (v === undefined || v === '') continue;
    if (v.length > LIMITS[key]) throw new ApiError(400, `The link's ${key} parameter is too long (at most ${LIMITS[key]} characters)`);
    out[key] = v;
  }
  if (out.number !== undefined) {
    const digits = out.number.replace(/[\s()+.-]/g, '');
    out.number = /^\d{1,15}$/.test(digits) ? digits : undefined;
  }
  // Its form only; whether it may be used (same origin as the partner's) is redirectTarget's.
  if (out.redirect_url !== undefined) out.redirect_url = checkRedirectUrl(out.redirect_url);
  if (first(q.next) === 'login') out.login = true;
  const plan = first(q.plan_selection);
  if (plan && (PLANS as string[]).includes(plan)) out.plan = plan as Plan;
  return out;
}

export function newSubject(partnerId: string, params: OnboardingParams, userId?: string): OnboardingSubject {
  return { partnerId, params, step: 'account', userId, codesIssued: 0, revoked: [], plan: params.plan };
}

/** Digits only (a leading + and spaces, dashes, dots, brackets are dropped). */
export function normalisePhone(raw: string): string {
  return raw.trim().replace(/[\s()+.-]/g, '');
}
