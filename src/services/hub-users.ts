// Hub users: the people (or system users) who log into a partner's hub and get bearer tokens.
import { isoNow } from '../clock.ts';
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import { isUniqueViolation } from '../db/index.ts';
import { ApiError } from '../errors.ts';
import { hashPassword, verifyPasswordOrDummy } from '../crypto.ts';
import { recordId } from '../ids.ts';

export interface HubUser {
  id: string;
  partner_id: string;
  username: string;
  created_at: string;
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

export async function createHubUser(
  deps: Deps,
  input: { partnerId: string; username: string; password: string },
  tx: Executor = deps.db.kysely,
): Promise<HubUser> {
  const user = {
    id: recordId('usr'),
    partner_id: input.partnerId,
    username: normaliseUsername(input.username),
    created_at: isoNow(deps.clock),
  };
  const password_hash = await hashPassword(input.password);
  try {
    await tx.insertInto('hub_users').values({ ...user, password_hash }).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ApiError(409, `A hub user named ${user.username} already exists`);
    throw err;
  }
  return user;
}

/** Checks a username and password; the time taken does not tell whether the user exists. */
export async function authenticateHubUser(deps: Deps, username: string, password: string): Promise<HubUser | undefined> {
  const row = await deps.db.kysely
    .selectFrom('hub_users')
    .selectAll()
    .where('username', '=', normaliseUsername(username))
    .executeTakeFirst();
  if (!(await verifyPasswordOrDummy(password, row?.password_hash)) || !row) return undefined;
  return { id: row.id, partner_id: row.partner_id, username: row.username, created_at: row.created_at };
}

export async function findHubUser(deps: Deps, id: string): Promise<HubUser | undefined> {
  return deps.db.kysely
    .selectFrom('hub_users')
    .select(['id', 'partner_id', 'username', 'created_at'])
    .where('id', '=', id)
    .executeTakeFirst();
}
