// Onboarding users: the client's people who sign up or log in on a partner's onboarding pages.
import type { Selectable } from 'kysely';
import { isoNow } from '../../clock.ts';
import { hashPassword, verifyPasswordOrDummy } from '../../crypto.ts';
import { isUniqueViolation, type Executor } from '../../db/index.ts';
import type { OnboardingUsersTable } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { recordId } from '../../ids.ts';

export type OnboardingUser = Omit<Selectable<OnboardingUsersTable>, 'password_hash'>;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;
export function isEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email);
}

export async function createOnboardingUser(
  deps: Deps,
  input: { partnerId: string; name: string; email: string; password: string },
): Promise<OnboardingUser> {
  const user: OnboardingUser = {
    id: recordId('obu'),
    partner_id: input.partnerId,
    client_id: null,
    name: input.name.trim(),
    email: normaliseEmail(input.email),
    plan: null,
    created_at: isoNow(deps.clock),
  };
  const password_hash = await hashPassword(input.password);
  try {
    await deps.db.kysely.insertInto('onboarding_users').values({ ...user, password_hash }).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ApiError(409, 'An account with this email already exists for this partner: log in instead');
    throw err;
  }
  return user;
}

export async function emailTaken(deps: Deps, partnerId: string, email: string): Promise<boolean> {
  const row = await deps.db.kysely
    .selectFrom('onboarding_users')
    .select('id')
    .where('partner_id', '=', partnerId)
    .where('email', '=', normaliseEmail(email))
    .executeTakeFirst();
  return row !== undefined;
}

/** Checks email and password; the time taken does not tell whether the account exists. */
export async function authenticateOnboardingUser(deps: Deps, partnerId: string, email: string, password: string): Promise<OnboardingUser | undefined> {
  const row = await deps.db.kysely
    .selectFrom('onboarding_users')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('email', '=', normaliseEmail(email))
    .executeTakeFirst();
  if (!(await verifyPasswordOrDummy(password, row?.password_hash)) || !row) return undefined;
  const { password_hash: _, ...user } = row;
  return user;
}

export async function findOnboardingUser(deps: Deps, partnerId: string, id: string, tx: Executor = deps.db.kysely): Promise<OnboardingUser | undefined> {
  return tx
    .selectFrom('onboarding_users')
    .select(['id', 'partner_id', 'client_id', 'name', 'email', 'plan', 'created_at'])
    .where('id', '=', id)
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
}
