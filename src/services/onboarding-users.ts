// The operator's hold on onboarding users (the client-side login users of a partner's onboarding
// pages, web/onboarding/users.ts): list them, change one's login e-mail, remove one. Shared by
// `openwaba onboarding-users` (cli/onboarding-users.ts) and /admin/onboarding_users
// (admin/onboarding-user-routes.ts). Its main use: a partner change whose client's login e-mail
// the new partner already has is refused, never merged (partner-change-users.ts); renaming or
// removing the other account is the way out.
//
// Password hashes never leave this module. Renaming keeps the user's sessions (the session names
// the user by id, and the password is unchanged: the next login takes the new e-mail); removing
// ends them, so a removed user is logged out at once rather than when its session expires.
import { wireTime } from '../clock.ts';
import { isUniqueViolation } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { isEmail, normaliseEmail, type OnboardingUser } from '../web/onboarding/users.ts';

export interface OnboardingUserFilter {
  partnerId?: string;
  clientId?: string;
  /** Exact match, case-insensitive (e-mails are stored lower-cased). */
  email?: string;
}

export const ONBOARDING_USER_LIST = { defaultLimit: 100, maxLimit: 1000 } as const;

const COLUMNS = ['id', 'partner_id', 'client_id', 'name', 'email', 'plan', 'created_at'] as const;

export function onboardingUserToWire(u: OnboardingUser) {
  return { id: u.id, partner_id: u.partner_id, client_id: u.client_id, name: u.name, email: u.email, created_at: wireTime(u.created_at)! };
}
export type OnboardingUserWire = ReturnType<typeof onboardingUserToWire>;

/** Any partner's users, newest first, at most `limit`. */
export async function listOnboardingUsers(deps: Deps, filter: OnboardingUserFilter, limit: number = ONBOARDING_USER_LIST.defaultLimit): Promise<OnboardingUser[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > ONBOARDING_USER_LIST.maxLimit) throw badRequest(`limit must be a whole number from 1 to ${ONBOARDING_USER_LIST.maxLimit}`);
  let q = deps.db.kysely.selectFrom('onboarding_users').select(COLUMNS);
  if (filter.partnerId !== undefined) q = q.where('partner_id', '=', filter.partnerId);
  if (filter.clientId !== undefined) q = q.where('client_id', '=', filter.clientId);
  if (filter.email !== undefined) q = q.where('email', '=', normaliseEmail(filter.email));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function getOnboardingUserById(deps: Deps, id: string): Promise<OnboardingUser> {
  const u = await deps.db.kysely.selectFrom('onboarding_users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!u) throw notFound(`Onboarding user ${id.slice(0, 64)} not found`);
  return u;
}

/**
 * Gives a user another login e-mail: 400 for one that is not an e-mail address, 404 for an unknown
 * user, 409 for one another account of the same partner already has. The same e-mail (in any case)
 * is a no-op answered with the user.
 */
export async function renameOnboardingUser(deps: Deps, id: string, newEmail: string): Promise<OnboardingUser> {
  const email = normaliseEmail(newEmail);
  if (!isEmail(email)) throw badRequest(`"${newEmail.slice(0, 80)}" is not a valid e-mail address`);
  const user = await getOnboardingUserById(deps, id);
  if (user.email === email) return user;
  const taken = (partnerId: string) => new ApiError(409, `Partner ${partnerId} already has an onboarding user with the e-mail ${email}: choose another, or remove that user first`);
  const other = await deps.db.kysely.selectFrom('onboarding_users').select('id').where('partner_id', '=', user.partner_id).where('email', '=', email).executeTakeFirst();
  if (other) throw taken(user.partner_id);
  try {
    // Keyed on the partner read above too: a partner change moving this user meanwhile leaves it unrenamed (404) rather than renamed elsewhere unchecked.
    const res = await deps.db.kysely.updateTable('onboarding_users').set({ email }).where('id', '=', id).where('partner_id', '=', user.partner_id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw notFound(`Onboarding user ${id.slice(0, 64)} not found`);
  } catch (err) {
    // Someone signed up with that e-mail between the check and the update: the unique index answers.
    if (isUniqueViolation(err)) throw taken(user.partner_id);
    throw err;
  }
  return { ...user, email };
}

/** Removes a user and ends its onboarding sessions (it is logged out at once); 404 for an unknown user. */
export async function removeOnboardingUser(deps: Deps, id: string): Promise<{ user: OnboardingUser; sessionsEnded: number }> {
  return deps.db.kysely.transaction().execute(async (tx) => {
    const user = await tx.selectFrom('onboarding_users').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    if (!user) throw notFound(`Onboarding user ${id.slice(0, 64)} not found`);
    // Onboarding sessions keep their user in the subject's JSON (web/onboarding/state.ts, userId).
    // LIKE narrows the rows (its `_` wildcard only widens the match); the parsed subject decides.
    const candidates = await tx
      .selectFrom('web_sessions')
      .select(['id_hash', 'subject'])
      .where('kind', '=', 'onboarding')
      .where('subject', 'like', `%"userId":"${user.id}"%`)
      .execute();
    const ended = candidates.filter((s) => sessionUserId(s.subject) === user.id).map((s) => s.id_hash);
    if (ended.length > 0) await tx.deleteFrom('web_sessions').where('id_hash', 'in', ended).execute();
    await tx.deleteFrom('onboarding_users').where('id', '=', user.id).execute();
    return { user, sessionsEnded: ended.length };
  });
}

function sessionUserId(subject: string): unknown {
  try {
    return (JSON.parse(subject) as { userId?: unknown }).userId;
  } catch {
    return undefined;
  }
}
