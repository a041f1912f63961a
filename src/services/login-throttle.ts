// Throttles repeated login failures per username and per client address. Kept in the database
// so that every instance behind a load balancer sees the same counts.
//
// An attempt is counted *before* its password is checked, in one atomic upsert per counter:
// checking first and counting after the (slow) password check would let any number of
// concurrent guesses through before the first failure is recorded.
import { sql } from 'kysely';
import { isoNow } from '../clock.ts';
import type { Deps } from '../deps.ts';

export interface ThrottleState {
  blocked: boolean;
  retryAfterSeconds: number;
}

function userKey(username: string): string {
  return `user:${username.trim().toLowerCase().slice(0, 320)}`;
}
function addressKey(address: string): string {
  return `addr:${address}`;
}

/** Adds one to a counter (starting a new window when the old one has passed); returns the new state. */
async function increment(deps: Deps, key: string): Promise<{ failures: number; window_started_at: string }> {
  const now = isoNow(deps.clock);
  const windowStartLimit = new Date(deps.clock.now().getTime() - deps.config.loginWindowSeconds * 1000).toISOString();
  const expired = sql<boolean>`auth_throttle.window_started_at < ${windowStartLimit}`;
  return deps.db.kysely
    .insertInto('auth_throttle')
    .values({ key, failures: 1, window_started_at: now })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql<number>`case when ${expired} then 1 else auth_throttle.failures + 1 end`,
        window_started_at: sql<string>`case when ${expired} then ${now} else auth_throttle.window_started_at end`,
      }),
    )
    .returning(['failures', 'window_started_at'])
    .executeTakeFirstOrThrow();
}

async function decrement(deps: Deps, key: string): Promise<void> {
  await deps.db.kysely
    .updateTable('auth_throttle')
    .set((eb) => ({ failures: eb('failures', '-', 1) }))
    .where('key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

/**
 * Call before checking a password. Counts the attempt as a failure (for the username and for
 * the address) unless it is blocked; a blocked attempt is not counted and must be refused.
 * On success, call loginSucceeded(); on failure nothing more is needed. Callers use throttledLogin.
 */
async function beginLoginAttempt(deps: Deps, username: string, address: string): Promise<ThrottleState> {
  const keys = [addressKey(address), userKey(username)];
  const now = deps.clock.now().getTime();
  const windowMs = deps.config.loginWindowSeconds * 1000;
  let retry = 0;
  for (const key of keys) {
    const row = await increment(deps, key);
    if (row.failures > deps.config.loginMaxFailures) {
      retry = Math.max(retry, Math.max(1, Math.ceil((Date.parse(row.window_started_at) + windowMs - now) / 1000)));
    }
  }
  if (retry > 0) {
    // Refused without a password check: it must not count, or a blocked address could lock
    // out any username for free.
    for (const key of keys) await decrement(deps, key);
    return { blocked: true, retryAfterSeconds: retry };
  }
  return { blocked: false, retryAfterSeconds: 0 };
}

/** A correct password: forget the username's failures and take this attempt off the address. */
async function loginSucceeded(deps: Deps, username: string, address: string): Promise<void> {
  await deps.db.kysely.deleteFrom('auth_throttle').where('key', '=', userKey(username)).execute();
  await decrement(deps, addressKey(address));
}

export type LoginOutcome<U> = { kind: 'ok'; user: U } | { kind: 'wrong' } | { kind: 'blocked'; retryAfterSeconds: number };

/**
 * One throttled login: counts the attempt for `username` (any key naming the account) and the
 * address before the password is checked, refuses without checking while blocked, runs
 * `check` (the password check: the user, or undefined / null when wrong), and forgets the failures
 * when it succeeds. Each caller answers each outcome in its own format.
 */
export async function throttledLogin<U>(deps: Deps, username: string, address: string, check: () => Promise<U | undefined | null>): Promise<LoginOutcome<U>> {
  const throttle = await beginLoginAttempt(deps, username, address);
  if (throttle.blocked) return { kind: 'blocked', retryAfterSeconds: throttle.retryAfterSeconds };
  const user = await check();
  if (user === undefined || user === null) return { kind: 'wrong' };
  await loginSucceeded(deps, username, address);
  return { kind: 'ok', user };
}
